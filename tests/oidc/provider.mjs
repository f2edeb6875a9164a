// A real OpenID Provider (panva's oidc-provider) on loopback for tests/test_sso.py, the browser journeys and
// `make run-sso`.
// Usage: node provider.mjs '<json config>'  with {client_id, client_secret, redirect_uris, accounts: {id: claims}}
// and optionally port (default 0: a free port) and title (the login page's heading).
// Prints "READY <issuer>" once it listens. Login is scriptable: after /auth, a test calls
// GET /interaction/<uid>/login?account=<id> (no browser); a person in a browser gets an HTML page at
// /interaction/<uid> listing the accounts, whose "Inloggen" button sends that same request. Consent is automatic.
import crypto from 'node:crypto';
import http from 'node:http';
import Provider from 'oidc-provider';

const config = JSON.parse(process.argv[2]);
const server = http.createServer();
const title = config.title || 'Demo-inlogserver';
const escape = (value) => String(value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

// The login page: one radio button per account, the first chosen, and one "Inloggen" button.
function loginPage(uid) {
  const choices = Object.entries(config.accounts).map(([id, claims], i) => {
    const detail = [claims.eduperson_principal_name || claims.email, claims.schac_home_organization]
      .filter(Boolean).map(escape).join(' · ');
    return `<li><label><input type="radio" name="account" value="${escape(id)}"${i === 0 ? ' checked' : ''}>
      <strong>${escape(claims.name || id)}</strong> <span>${detail}</span></label></li>`;
  }).join('\n');
  return `<!doctype html>
<html lang="nl"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Inloggen – ${escape(title)}</title>
<style>
  body { font-family: system-ui, sans-serif; max-width: 32rem; margin: 2rem auto; padding: 0 1rem; color: #1a1a1a; }
  ul { list-style: none; padding: 0; } li { margin: .5rem 0; }
  label { display: block; padding: .6rem .8rem; border: 1px solid #888; border-radius: .4rem; cursor: pointer; }
  span { display: block; color: #444; font-size: .9rem; overflow-wrap: anywhere; }
  button { font-size: 1rem; padding: .6rem 1.4rem; background: #0b57d0; color: #fff; border: 0; border-radius: .4rem; }
  .note { color: #444; font-size: .9rem; }
</style></head>
<body><main>
<h1>${escape(title)}</h1>
<p class="note">Een testinlogserver: kies een demo-account, er is geen wachtwoord.</p>
<form method="get" action="/interaction/${escape(uid)}/login">
<fieldset style="border: 0; padding: 0"><legend>Inloggen als</legend>
<ul>
${choices}
</ul></fieldset>
<button type="submit">Inloggen</button>
</form>
</main></body></html>`;
}

server.listen(config.port || 0, '127.0.0.1', () => {
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
      ctx.type = 'html';
      ctx.body = loginPage(details.uid);
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
// Close keep-alive connections too (a browser holds them open), so the process exits promptly.
const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
