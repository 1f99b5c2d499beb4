// Vigil console: passkeys (WebAuthn). Registration on the Account page, sign-in on the
// login page. The server issues the options (binary fields base64url), checks the answer
// and opens the session; this file only turns base64url into bytes and back around
// navigator.credentials. Without WebAuthn in the browser the passkey parts stay hidden.
(function () {
  "use strict";

  function fromB64u(s) {
    var b = atob(s.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((s.length + 3) % 4));
    var out = new Uint8Array(b.length);
    for (var i = 0; i < b.length; i++) out[i] = b.charCodeAt(i);
    return out.buffer;
  }

  function toB64u(buf) {
    var bytes = new Uint8Array(buf), s = "";
    for (var i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function post(url, headers, body) {
    headers["Content-Type"] = "application/json";
    return fetch(url, { method: "POST", headers: headers, credentials: "same-origin", body: JSON.stringify(body || {}) })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (j) {
          if (!r.ok) throw new Error(j.message || ("The console answered " + r.status + "."));
          return j;
        });
      });
  }

  function say(el, text) { if (el) el.textContent = text; }

  function failed(status, e) {
    if (e && e.name === "NotAllowedError") say(status, "Cancelled, or no passkey was usable. Nothing changed.");
    else if (e && e.name === "InvalidStateError") say(status, "This device already holds a passkey of yours for the console.");
    else say(status, (e && e.message) || "The passkey did not work.");
  }

  function register(form) {
    var status = document.getElementById("passkey-status");
    var name = document.getElementById("passkey-name");
    var headers = { "X-Vigil-Csrf": form.dataset.csrf };
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      say(status, "Follow your device's prompt…");
      post("/console/account/passkeys/options", Object.assign({}, headers)).then(function (o) {
        o.challenge = fromB64u(o.challenge);
        o.user.id = fromB64u(o.user.id);
        o.excludeCredentials = (o.excludeCredentials || []).map(function (c) { return { type: c.type, id: fromB64u(c.id) }; });
        return navigator.credentials.create({ publicKey: o });
      }).then(function (cred) {
        return post("/console/account/passkeys", Object.assign({}, headers), {
          name: name.value,
          clientDataJSON: toB64u(cred.response.clientDataJSON),
          attestationObject: toB64u(cred.response.attestationObject)
        });
      }).then(function () {
        window.location.reload();
      }).catch(function (e) { failed(status, e); });
    });
  }

  function signIn(section) {
    var status = document.getElementById("passkey-status");
    var headers = { "X-Vigil-Login": section.dataset.token };
    section.hidden = false;
    document.getElementById("passkey-signin-button").addEventListener("click", function () {
      say(status, "Follow your device's prompt…");
      post("/console/login/passkey/options", Object.assign({}, headers)).then(function (o) {
        o.challenge = fromB64u(o.challenge);
        o.allowCredentials = [];
        return navigator.credentials.get({ publicKey: o });
      }).then(function (cred) {
        var r = cred.response;
        return post("/console/login/passkey", Object.assign({}, headers), {
          id: toB64u(cred.rawId),
          clientDataJSON: toB64u(r.clientDataJSON),
          authenticatorData: toB64u(r.authenticatorData),
          signature: toB64u(r.signature),
          userHandle: r.userHandle ? toB64u(r.userHandle) : null
        });
      }).then(function (j) {
        window.location = j.redirect || "/console/incidents";
      }).catch(function (e) { failed(status, e); });
    });
  }

  function start() {
    if (!window.PublicKeyCredential || !navigator.credentials) return;
    var form = document.getElementById("add-passkey");
    if (form) register(form);
    var section = document.getElementById("passkey-signin");
    if (section) signIn(section);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
