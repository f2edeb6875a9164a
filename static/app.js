// Progressive enhancement only: every form also works without this file.
(function () {
  "use strict";
  // A real upload progress bar for the evidence form (HTMX reports XHR upload progress), next to the button the
  // user clicked, with the file names and a percentage in a polite live region. The bar moves smoothly; the text
  // only in steps of 10 % (and at 100 %), so a screen reader reads a handful of updates, not hundreds.
  document.addEventListener("htmx:xhr:progress", function (event) {
    var form = event.target.closest ? event.target.closest("form") : null;
    var bar = form && form.querySelector("progress#upload-voortgang");
    var status = form && form.querySelector("#upload-status");
    if (!bar || !status || !event.detail.lengthComputable) return;
    var names = [];
    Array.prototype.forEach.call(form.querySelectorAll("input[type=file]"), function (input) {
      Array.prototype.forEach.call(input.files || [], function (f) { names.push(f.name); });
    });
    if (!names.length) return;  // no files: the save is quick, nothing to follow
    var percent = Math.round((event.detail.loaded / event.detail.total) * 100);
    bar.hidden = false;
    bar.value = percent;
    var step = percent === 100 ? 100 : Math.floor(percent / 10) * 10;
    if (status.dataset.step !== String(step)) {
      status.dataset.step = String(step);
      status.textContent = names.join(", ") + ": " + step + " %";
    }
  });
  // Refuse too-large files before sending anything: the server refuses them too, but only after the upload.
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[type=file]")) return;
    var form = input.form;
    var max = form ? parseInt(form.dataset.maxSize || "0", 10) : 0;
    var message = form ? form.querySelector("#files-fout") : null;
    if (!max || !message) return;
    var tooBig = Array.prototype.filter.call(input.files, function (f) { return f.size > max; });
    if (tooBig.length) {
      message.hidden = false;
      message.textContent = "Te groot (hoogstens " + Math.round(max / 1048576) + " MB): " +
        tooBig.map(function (f) { return f.name; }).join(", ");
      input.setCustomValidity(message.textContent);
    } else {
      message.hidden = true;
      input.setCustomValidity("");
    }
  });
  // After HTMX replaces the main content (a decision, a submission), put keyboard and screen-reader focus on it,
  // so the next Tab does not start again at the top of the page and the new notice is read.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (target && target.id === "inhoud") {
      target.focus({ preventScroll: true });
    }
  });
  // Drag and drop onto the drop zone puts the files in its file input.
  ["dragenter", "dragover"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      var zone = event.target.closest && event.target.closest(".dropzone");
      if (!zone) return;
      event.preventDefault();
      zone.classList.add("drag");
    });
  });
  ["dragleave", "drop"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      var zone = event.target.closest && event.target.closest(".dropzone");
      if (!zone) return;
      event.preventDefault();
      zone.classList.remove("drag");
      if (type === "drop" && event.dataTransfer && event.dataTransfer.files.length) {
        var input = zone.querySelector("input[type=file]");
        input.files = event.dataTransfer.files;
        input.dispatchEvent(new Event("change", { bubbles: true }));
      }
    });
  });
})();

// --- Errors next to the form that caused them (#16 item 1) ---------------------------------------------------
// A form with its own message area (.form-fout, the form_error macro in templates/_macros.html) tells the server
// the area's id; the server puts an error answer there (HX-Retarget, app.main._error_response). The field the
// server blames (data-veld) is marked (aria-invalid, aria-describedby), and the message is scrolled into view and
// focused: a user scrolled down to the form sees it, a screen reader reads it. A form without a message area gets
// the error in #meldingen at the top of the page, which is focused as well. A re-rendered form whose summary is
// marked data-fout-focus (the evidence form) gets focus on that summary.
(function () {
  "use strict";
  function areaOf(elt) {
    var form = elt && elt.closest ? elt.closest("form") : null;
    return form ? form.querySelector(".form-fout[id$='-fout']") : null;
  }
  function show(message) {
    message.hidden = false;
    if (message.tabIndex < 0 && !message.hasAttribute("tabindex")) message.setAttribute("tabindex", "-1");
    message.scrollIntoView({ block: "center" });
    message.focus({ preventScroll: true });
  }
  function unmark(form, area) {
    form.querySelectorAll("[data-fout-van='" + area.id + "']").forEach(function (el) {
      el.removeAttribute("aria-invalid");
      var before = el.getAttribute("data-fout-describedby");
      if (before) el.setAttribute("aria-describedby", before);
      else el.removeAttribute("aria-describedby");
      el.removeAttribute("data-fout-van");
      el.removeAttribute("data-fout-describedby");
    });
  }
  function mark(area) {
    var form = area.closest("form");
    if (!form) return;
    unmark(form, area);
    var holder = area.querySelector("[data-veld]");
    var name = holder && holder.getAttribute("data-veld");
    if (!name) return;
    Array.prototype.forEach.call(form.elements, function (el) {
      if (el.name !== name || el.type === "hidden") return;
      var before = el.getAttribute("aria-describedby") || "";
      el.setAttribute("data-fout-van", area.id);
      if (before) el.setAttribute("data-fout-describedby", before);
      el.setAttribute("aria-invalid", "true");
      el.setAttribute("aria-describedby", (before ? before + " " : "") + area.id);
    });
  }
  document.addEventListener("htmx:configRequest", function (event) {
    var area = areaOf(event.detail.elt);
    if (area) event.detail.headers["X-Form-Fout"] = area.id;
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    var xhr = event.detail && event.detail.xhr;
    if (!target || !xhr || xhr.status < 400 || event.target !== target) return;
    if (target.classList.contains("form-fout")) {
      mark(target);
      show(target);
    } else if (target.id === "meldingen") {
      var alert = target.querySelector("[role=alert]");
      if (alert) show(alert);
    }
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    var xhr = event.detail && event.detail.xhr;
    var target = event.detail && event.detail.target;
    if (!xhr || xhr.status < 400 || (target && (target.id === "meldingen" || target.classList.contains("form-fout")))) {
      return;
    }
    var summary = document.querySelector("[data-fout-focus]");
    if (summary && document.activeElement !== summary && !summary.contains(document.activeElement)) show(summary);
  });
  // A page re-rendered after a refused post (also without HTMX): its form's message is in view and focused.
  document.addEventListener("DOMContentLoaded", function () {
    var area = document.querySelector(".form-fout:not([hidden])");
    if (area && document.activeElement !== area) show(area);
  });
})();
