// The upload page: send the file with XHR (so the browser reports upload progress), then poll
// the ingest job until it is done. Without this script the form still posts and the server
// answers with the job's page.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  var panel = document.getElementById("upload-progress");
  if (!panel) { return; }
  var uploadBar = document.getElementById("upload-bar");
  var ingestBar = document.getElementById("ingest-bar");
  var statusLine = document.getElementById("job-status");
  var doneLine = document.getElementById("job-done");
  var jobsUrl = form ? form.dataset.jobs : null;
  var POLL_MS = 500;

  function say(text, failed) {
    statusLine.textContent = text;
    statusLine.classList.toggle("error", Boolean(failed));
  }

  function showJob(job) {
    if (job.bytes_total > 0) {
      ingestBar.value = Math.round(100 * job.bytes_done / job.bytes_total);
    }
    say(job.message, job.state === "failed");
    if (job.state === "done" || job.state === "failed") {
      ingestBar.value = 100;
      doneLine.hidden = job.state !== "done";
      if (form) { form.querySelector("button").disabled = false; }
      return true;
    }
    return false;
  }

  function poll(url) {
    var xhr = new XMLHttpRequest();
    xhr.open("GET", url);
    xhr.responseType = "json";
    xhr.onload = function () {
      if (xhr.status !== 200 || !xhr.response) {
        say("could not read the job's progress (" + xhr.status + ")", true);
        return;
      }
      if (!showJob(xhr.response)) { window.setTimeout(function () { poll(url); }, POLL_MS); }
    };
    xhr.onerror = function () { say("the server did not answer; reload the page", true); };
    xhr.send();
  }

  function send(event) {
    event.preventDefault();
    var xhr = new XMLHttpRequest();
    panel.hidden = false;
    doneLine.hidden = true;
    uploadBar.value = 0;
    ingestBar.value = 0;
    say("sending the file…", false);
    form.querySelector("button").disabled = true;
    xhr.open("POST", form.action);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("X-CSRF-Token", form.dataset.csrf);
    xhr.responseType = "json";
    xhr.upload.onprogress = function (e) {
      if (e.lengthComputable) { uploadBar.value = Math.round(100 * e.loaded / e.total); }
    };
    xhr.onload = function () {
      var body = xhr.response || {};
      if (xhr.status !== 202) {
        say(body.detail || ("the upload was refused (" + xhr.status + ")"), true);
        form.querySelector("button").disabled = false;
        return;
      }
      uploadBar.value = 100;
      if (!showJob(body)) { poll(jobsUrl + encodeURIComponent(body.id)); }
    };
    xhr.onerror = function () {
      say("the upload did not reach the server", true);
      form.querySelector("button").disabled = false;
    };
    xhr.send(new FormData(form));
  }

  if (form) { form.addEventListener("submit", send); }
  if (panel.dataset.job && jobsUrl) { poll(jobsUrl + encodeURIComponent(panel.dataset.job)); }
}());
