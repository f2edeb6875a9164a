// A real OpenID Provider (panva's oidc-provider) on loopback for tests/test_sso.py.
// Usage: node provider.mjs '<json config>'  with {client_id, client_secret, redirect_uris, accounts: {id: claims}}.
// Prints "READY <issuer>" once it listens on a free port. Login is scriptable: after /auth, the test calls
// GET /interaction/<uid>/login?account=<id> (no form, no browser); consent is granted automatically.
import crypto from 'node:crypto';
import http from 'node:http';
import Provider from 'oidc-provider';

const config = JSON.parse(process.argv[2]);
const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  // A key of its own per provider: the library's development keys are the same for every instance.
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: crypto.randomUUID(), use: 'sig', alg: 'RS256' };
  const provider = new Provider(issuer, {
    clients: [{
      client_id: config.client_id,
      client_secret: config.client_secret,
      redirect_uris: config.redirect_uris,
      response_types: ['code'],
      grant_types: ['authorization_code'],
    }],
    jwks: { keys: [jwk] },
    cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
    pkce: { required: () => true, methods: ['S256'] },
    features: { devInteractions: { enabled: false } },
    claims: {
      openid: ['sub'],
      profile: ['name'],
      email: ['email', 'email_verified'],
      schac_home_organization: ['schac_home_organization'],
      eduperson_affiliation: ['eduperson_affiliation'],
      eduperson_principal_name: ['eduperson_principal_name'],
      schac_personal_unique_code: ['schac_personal_unique_code'],
    },
    async findAccount(ctx, id) {
      const claims = config.accounts[id];
      if (!claims) return undefined;
      return { accountId: id, async claims() { return { sub: id, ...claims }; } };
    },
    // Auto-consent: every requested scope is granted (the tests are about the relying party, not consent).
    async loadExistingGrant(ctx) {
      const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
      grant.addOIDCScope(ctx.oidc.params.scope);
      await grant.save();
      return grant;
    },
  });
  provider.use(async (ctx, next) => {
    const match = ctx.path.match(/^\/interaction\/([^/]+)(\/login)?$/);
    if (!match) return next();
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (!match[2]) {
      ctx.body = { uid: details.uid, prompt: details.prompt.name };
      return undefined;
    }
    const accountId = ctx.query.account;
    const result = details.prompt.name === 'login' ? { login: { accountId } } : {};
    ctx.redirect(await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false }));
    return undefined;
  });
  server.on('request', provider.callback());
  console.log(`READY ${issuer}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
