// esep serve: the page works without this script (a plain form post); with it, a dropped or chosen
// file is checked at once, upload progress is shown and only the result area is replaced.
(function () {
  "use strict";
  var form = document.getElementById("check-form");
  if (!form || !window.XMLHttpRequest || !window.FormData || !window.DOMParser) return;
  var input = document.getElementById("file");
  var drop = document.getElementById("drop");
  var progress = document.getElementById("progress");
  var result = document.getElementById("result");
  var busy = false;

  function say(text) { progress.textContent = text; }

  function send(action, extra) {
    if (busy || !input.files.length) return;
    var maxBytes = parseInt(form.getAttribute("data-max-bytes"), 10);
    if (input.files[0].size > maxBytes) { say(form.getAttribute("data-too-large")); return; }
    var data = new FormData(form);
    if (extra) data.append(extra.name, extra.value);
    var xhr = new XMLHttpRequest();
    busy = true;
    form.setAttribute("aria-busy", "true");
    xhr.open("POST", action);
    xhr.upload.onprogress = function (e) {
      if (e.lengthComputable) say(form.getAttribute("data-uploading") + " " + Math.round(100 * e.loaded / e.total) + "%");
    };
    xhr.upload.onload = function () { say(form.getAttribute("data-checking")); };
    xhr.onload = function () {
      busy = false;
      form.removeAttribute("aria-busy");
      var doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
      var fresh = doc.getElementById("result");
      if (!fresh) { say(form.getAttribute("data-network")); return; }
      say("");
      result.innerHTML = fresh.innerHTML;
      var heading = document.getElementById("result-heading");
      if (heading) { heading.focus(); }
    };
    xhr.onerror = function () {
      busy = false;
      form.removeAttribute("aria-busy");
      say(form.getAttribute("data-network"));
    };
    say(form.getAttribute("data-uploading"));
    xhr.send(data);
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var button = e.submitter;
    var action = (button && button.getAttribute("formaction")) || form.getAttribute("action");
    send(action, button && button.name ? { name: button.name, value: button.value } : null);
  });
  input.addEventListener("change", function () { send(form.getAttribute("action"), null); });

  ["dragenter", "dragover"].forEach(function (type) {
    drop.addEventListener(type, function (e) { e.preventDefault(); drop.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (type) {
    drop.addEventListener(type, function (e) { e.preventDefault(); drop.classList.remove("over"); });
  });
  drop.addEventListener("drop", function (e) {
    if (!e.dataTransfer || !e.dataTransfer.files.length) return;
    input.files = e.dataTransfer.files;
    send(form.getAttribute("action"), null);
  });

  // Switching the language with a file chosen shows the same result in the other language.
  document.querySelectorAll("nav.langs a[data-lang]").forEach(function (link) {
    link.addEventListener("click", function (e) {
      if (!input.files.length || busy) return;
      e.preventDefault();
      form.querySelector("input[name=lang]").value = link.getAttribute("data-lang");
      form.submit();
    });
  });
})();
