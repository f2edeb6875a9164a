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
