/* Evidence upload: drag and drop, one request per file, a progress bar for each.
   The CSRF token goes in a header so the server can refuse a forged upload before reading it. */
(function () {
  "use strict";
  var form = document.getElementById("evidence-upload");
  if (!form || !window.FormData || !window.XMLHttpRequest) return;
  var input = form.querySelector("input[type=file]");
  var zone = document.getElementById("drop-zone");
  var chosen = document.getElementById("chosen-files");
  var list = document.getElementById("upload-progress");
  var token = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var text = form.dataset;
  var dropped = [];

  function show(files) {
    chosen.textContent = "";
    files.forEach(function (file) {
      var li = document.createElement("li");
      li.textContent = file.name;
      chosen.appendChild(li);
    });
  }

  ["dragenter", "dragover"].forEach(function (name) {
    zone.addEventListener(name, function (event) {
      event.preventDefault();
      zone.classList.add("over");
    });
  });
  ["dragleave", "drop"].forEach(function (name) {
    zone.addEventListener(name, function () { zone.classList.remove("over"); });
  });
  zone.addEventListener("drop", function (event) {
    event.preventDefault();
    dropped = Array.prototype.slice.call(event.dataTransfer.files);
    show(dropped);
  });
  input.addEventListener("change", function () {
    dropped = [];
    show(Array.prototype.slice.call(input.files));
  });

  function uploadOne(file) {
    return new Promise(function (resolve) {
      var data = new FormData();
      new FormData(form).forEach(function (value, key) {
        if (key !== "file" && key !== "csrfmiddlewaretoken") data.append(key, value);
      });
      data.append("file", file, file.name); // last, so the fields are read before the file
      var li = document.createElement("li");
      var label = document.createElement("span");
      var bar = document.createElement("progress");
      bar.max = 100;
      bar.value = 0;
      label.textContent = text.uploading + " " + file.name + " ";
      li.appendChild(label);
      li.appendChild(bar);
      list.appendChild(li);

      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("X-CSRFToken", token);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) bar.value = Math.floor((event.loaded / event.total) * 100);
      });
      xhr.addEventListener("load", function () {
        var body = {};
        try { body = JSON.parse(xhr.responseText); } catch (e) { body = {}; }
        li.textContent = "";
        if (xhr.status === 201 && body.items && body.items.length) {
          body.items.forEach(function (item) {
            li.appendChild(document.createTextNode(
              file.name + " — " + (item.duplicate ? text.duplicate : text.stored) + " "));
            var link = document.createElement("a");
            link.href = item.url;
            link.textContent = item.id;
            li.appendChild(link);
          });
        } else {
          li.className = "errorlist";
          li.textContent = file.name + " — " + text.failed + ": " + (body.error || xhr.status);
        }
        resolve();
      });
      xhr.addEventListener("error", function () {
        li.className = "errorlist";
        li.textContent = file.name + " — " + text.failed;
        resolve();
      });
      xhr.send(data);
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var files = dropped.length ? dropped : Array.prototype.slice.call(input.files);
    if (!files.length) {
      var li = document.createElement("li");
      li.className = "errorlist";
      li.textContent = text.choose;
      list.appendChild(li);
      return;
    }
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    files.reduce(function (previous, file) {
      return previous.then(function () { return uploadOne(file); });
    }, Promise.resolve()).then(function () {
      button.disabled = false;
      form.reset();
      dropped = [];
      show([]);
    });
  });
})();
