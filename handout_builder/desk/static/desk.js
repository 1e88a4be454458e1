// make_handout desk: find-as-you-type and the print dialog. Every page works without this.
(function () {
  "use strict";

  // Find as you type: the server renders the results; this only fetches them sooner.
  var form = document.querySelector("form[data-live-search]");
  if (form) {
    var results = document.getElementById("results");
    var status = document.getElementById("status");
    var timer = null;
    var latest = 0;
    var update = function () {
      var params = new URLSearchParams(new FormData(form));
      var number = ++latest;
      history.replaceState(null, "", "/?" + params.toString());
      params.set("fragment", "1");
      fetch("/?" + params.toString(), { headers: { "Accept": "text/html" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) {
          if (number !== latest) { return; }
          results.innerHTML = html;
          var holder = results.querySelector("[data-status]");
          if (holder && status) { status.textContent = holder.getAttribute("data-status"); }
          var browse = document.querySelector(".browse");
          if (browse) { browse.hidden = params.get("q") !== "" || params.get("category") !== ""; }
        })
        .catch(function () { /* the Search button still works */ });
    };
    form.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(update, 180);
    });
    form.addEventListener("submit", function (event) { event.preventDefault(); clearTimeout(timer); update(); });
  }

  // Print: fetch the PDF and open the browser's print dialog on it, in a hidden frame.
  var say = function (text) {
    var status = document.getElementById("status");
    if (status) { status.classList.remove("quiet"); status.textContent = text; }
  };
  var printPdf = function (response) {
    var type = response.headers.get("content-type") || "";
    if (!response.ok || type.indexOf("application/pdf") !== 0) { return Promise.reject(response); }
    return response.blob().then(function (blob) {
      var old = document.querySelector("iframe.print-frame");
      if (old) { URL.revokeObjectURL(old.src); old.remove(); }
      var frame = document.createElement("iframe");
      frame.className = "print-frame";
      frame.title = "Leaflet to print";
      frame.setAttribute("aria-hidden", "true");
      frame.tabIndex = -1;
      frame.src = URL.createObjectURL(blob);
      frame.addEventListener("load", function () {
        try { frame.contentWindow.focus(); frame.contentWindow.print(); } catch (e) { window.open(frame.src); }
      });
      document.body.appendChild(frame);
      say("The print dialog is opening.");
    });
  };
  document.querySelectorAll("a[data-print-link]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      say("Preparing the leaflet to print…");
      fetch(link.href, { credentials: "same-origin" }).then(printPdf)
        .catch(function () { window.location.href = link.href; });
    });
  });
  document.querySelectorAll("form[data-print]").forEach(function (printForm) {
    printForm.addEventListener("submit", function (event) {
      var button = event.submitter;
      if (!button || button.value !== "print") { return; }
      event.preventDefault();
      say("Preparing the leaflet to print…");
      var body = new URLSearchParams(new FormData(printForm, button));
      fetch(printForm.getAttribute("action"), { method: "POST", body: body, credentials: "same-origin" })
        .then(printPdf)
        .catch(function (response) {
          if (response && response.text) {
            response.text().then(function (html) { document.open(); document.write(html); document.close(); });
          } else { say("The leaflet could not be prepared. Please try again."); }
        });
    });
  });
}());
