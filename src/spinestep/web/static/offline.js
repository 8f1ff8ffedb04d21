/* Offline support in every page (included from base.html).

   - Registers the service worker (/sw.js) and names the signed-in patient's account to it
     (the opaque tag of <meta name="spinestep-account">), so it keeps that patient's own
     pages; on sign-out, and on any page without a patient, the kept pages are deleted.
   - On the safety check, a "yes" without a connection shows what to do at once: the
     guidance is in the page already (patient/_offline_guidance.html).
   - The guided session (#session-form[data-offline-session]) notes each step's answers in
     sessionStorage; without a connection the session continues on /session/offline, and
     a finished session is kept in IndexedDB with the time it was finished (with its UTC
     offset), its safety check and an idempotency key, then sent to POST /session/offline
     when the connection returns (on "online", on page load, on Background Sync). The
     decision is shown then. */
(function () {
  "use strict";

  const meta = document.querySelector('meta[name="spinestep-account"]');
  const account = meta ? meta.content : null;
  const DB_NAME = "spinestep-offline";
  const STORE = "pending";
  const DRAFT = "spinestep-session-draft";
  const PAGES_PREFIX = "spinestep-pages-";
  const NOT_SENT = ["csrf_token", "step", "action", "idempotency_key", "motion_series", "check_form", "combined"];

  // ---- time: the patient's local time with its offset, e.g. 2026-12-03T09:30:00+01:00
  function pad(n) { return String(Math.abs(n)).padStart(2, "0"); }
  function localIso(date) {
    const offset = -date.getTimezoneOffset();
    return date.getFullYear() + "-" + pad(date.getMonth() + 1) + "-" + pad(date.getDate())
      + "T" + pad(date.getHours()) + ":" + pad(date.getMinutes()) + ":" + pad(date.getSeconds())
      + (offset >= 0 ? "+" : "-") + pad(Math.floor(Math.abs(offset) / 60)) + ":" + pad(Math.abs(offset) % 60);
  }
  function newKey() {
    if (window.crypto && crypto.randomUUID) return "offline-" + crypto.randomUUID();
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return "offline-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  // ---- IndexedDB: the sessions waiting to be sent
  function openDb() {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "idempotency_key" });
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }
  function inStore(mode, work) {
    return openDb().then((db) => new Promise((resolve, reject) => {
      const transaction = db.transaction(STORE, mode);
      const request = work(transaction.objectStore(STORE));
      transaction.oncomplete = () => { db.close(); resolve(request ? request.result : undefined); };
      transaction.onerror = () => { db.close(); reject(transaction.error); };
    }));
  }
  const keepPending = (item) => inStore("readwrite", (store) => store.put(item));
  const allPending = () => inStore("readonly", (store) => store.getAll());
  const dropPending = (key) => inStore("readwrite", (store) => store.delete(key));

  // ---- the session so far, in this tab
  function readDraft() {
    try {
      const draft = JSON.parse(sessionStorage.getItem(DRAFT) || "null");
      if (draft && draft.account === account) return draft;
    } catch (error) { /* a damaged note starts again */ }
    return { account: account, values: {} };
  }
  function writeDraft(draft) { sessionStorage.setItem(DRAFT, JSON.stringify(draft)); }
  function clearDraft() { sessionStorage.removeItem(DRAFT); }

  function fieldsOf(form, submitter) {
    const fields = {};
    for (const [name, value] of new FormData(form, submitter || undefined).entries()) {
      if (typeof value === "string") fields[name] = value;
    }
    return fields;
  }
  function checkFields(fields) {
    const out = {};
    for (const [name, value] of Object.entries(fields)) {
      if (name.startsWith("flag_") || name === "combined" || name === "check_form") out[name] = value;
    }
    return out;
  }
  function yesCodes(form) {
    const codes = [];
    form.querySelectorAll('input[type="radio"][value="yes"]:checked').forEach((input) => {
      if (input.name === "combined") codes.push("combined");
      else if (input.name.startsWith("flag_")) codes.push(input.name.slice(5));
    });
    return codes;
  }

  // ---- red flag: what to do at once, from the page itself
  function showGuidance(codes) {
    const block = document.querySelector("[data-offline-guidance]");
    if (!block) return false;
    block.querySelectorAll("[data-guidance-for]").forEach((line) => {
      line.hidden = !codes.includes(line.dataset.guidanceFor);
    });
    block.hidden = false;
    block.scrollIntoView({ block: "start" });
    const call = block.querySelector("a[href^='tel:']");
    if (call) call.focus();
    return true;
  }
  // A "yes" answered offline is also kept, to be sent (and acted on) when the connection
  // returns; one kept check per page, replaced as the answers change.
  function watchRedFlags(form) {
    const key = "check-" + newKey();
    let firstYesAt = null;
    form.addEventListener("change", (event) => {
      const input = event.target;
      if (navigator.onLine || !(input instanceof HTMLInputElement)) return;
      if (input.name !== "combined" && !input.name.startsWith("flag_")) return;
      const codes = yesCodes(form);
      if (input.value === "yes") showGuidance(codes);
      const answers = {};
      for (const [name, value] of Object.entries(fieldsOf(form))) {
        if (name.startsWith("flag_")) answers[name] = value;
      }
      if (!Object.values(answers).includes("yes")) {
        dropPending(key).catch(() => {});
        return;
      }
      firstYesAt = firstYesAt || localIso(new Date());
      keepPending({
        idempotency_key: key, account: account, kind: "check", checked_at: firstYesAt,
        check: answers, fields: {},
      }).catch(() => {});
    });
  }

  // ---- messages
  function say(kind, html) {
    const main = document.getElementById("main");
    if (!main) return;
    const note = document.createElement("div");
    note.className = "notice " + kind;
    note.setAttribute("role", kind === "danger" ? "alert" : "status");
    note.dataset.offlineNotice = "";
    note.innerHTML = html;
    main.prepend(note);
  }

  // ---- a finished session, kept until it is sent
  function pendingFrom(draft) {
    const fields = {};
    for (const [name, value] of Object.entries(draft.values)) {
      if (!NOT_SENT.includes(name) && !name.startsWith("flag_")) fields[name] = value;
    }
    const item = {
      idempotency_key: draft.key || newKey(),
      account: account,
      kind: draft.kind || "session",
      finished_at: draft.finished_at || localIso(new Date()),
      fields: fields,
    };
    if (draft.check) {
      item.checked_at = draft.check.at;
      if (draft.check.stored) item.check_stored = true;
      else item.check = draft.check.fields;
    }
    return item;
  }
  function keep(draft) {
    return keepPending(pendingFrom(draft)).then(() => {
      clearDraft();
      if ("serviceWorker" in navigator) {
        navigator.serviceWorker.ready
          .then((registration) => registration.sync && registration.sync.register("spinestep-send"))
          .catch(() => {});
      }
    });
  }
  function showKept(container) {
    const text = "Your session is saved on this phone. It is sent as soon as you are back online, and then you see what to do next.";
    const saved = document.getElementById("offline-saved");
    if (saved) {
      saved.textContent = text;
      saved.hidden = false;
      saved.setAttribute("tabindex", "-1");
      saved.focus();
    } else {
      say("ok", text);
    }
    if (container) container.hidden = true;
  }

  // ---- sending what waits
  let sending = false;
  const REFUSALS = [409, 422, 429];

  // The app's own reason for refusing a session, or null when the answer is not one.
  async function refusalOf(response) {
    try {
      const error = (await response.json()).error;
      return error && typeof error.message === "string" && error.message ? error.message : null;
    } catch (error) {
      return null;
    }
  }

  async function sendPending() {
    if (!account || sending || !navigator.onLine || !window.indexedDB) return;
    const token = document.querySelector('input[name="csrf_token"]');
    if (!token) return;
    sending = true;
    let sent = 0;
    let refused = null;
    try {
      const items = (await allPending()).filter((item) => item.account === account);
      const when = (item) => item.finished_at || item.checked_at;
      items.sort((a, b) => (when(a) < when(b) ? -1 : 1));
      for (const item of items) {
        const body = new URLSearchParams();
        body.set("csrf_token", token.value);
        body.set("account_tag", account);
        body.set("idempotency_key", item.idempotency_key);
        body.set("kind", item.kind);
        if (item.finished_at) body.set("finished_at", item.finished_at);
        if (item.checked_at) body.set("checked_at", item.checked_at);
        if (item.check_stored) body.set("check_stored", "yes");
        for (const [name, value] of Object.entries(item.check || {})) body.set(name, value);
        for (const [name, value] of Object.entries(item.fields)) body.set(name, value);
        let response;
        try {
          response = await fetch("/session/offline", {
            method: "POST", body: body, credentials: "same-origin", redirect: "manual",
            headers: { accept: "application/json" },
          });
        } catch (error) {
          break; // still no connection: try again later
        }
        if (response.status === 200 || response.status === 201) {
          await dropPending(item.idempotency_key);
          sent += 1;
        } else {
          // Dropped only when the app refused the session itself (invalid, no safety check,
          // paused, too many: 409, 422 or 429 with its reason). Anything else (signed out,
          // an expired form, a send cut off on the way, a server problem) is tried again.
          const reason = REFUSALS.includes(response.status) ? await refusalOf(response) : null;
          if (!reason) break;
          refused = reason;
          await dropPending(item.idempotency_key);
        }
      }
    } finally {
      sending = false;
    }
    if (refused) {
      say("danger", "A session saved on this phone was not stored: <span></span>.");
      document.querySelector("[data-offline-notice] span").textContent = refused;
    }
    if (sent > 0) {
      if (["/today", "/session", "/session/offline", "/offline"].includes(location.pathname) && !refused) {
        location.assign("/decision");
      } else {
        say("ok", 'A session saved on this phone has been sent. <a href="/decision">See what to do next</a>.');
      }
    }
  }

  // ---- the service worker and the kept pages
  function forgetPages() {
    if (!window.caches) return Promise.resolve();
    return caches.keys().then((keys) => Promise.all(
      keys.filter((key) => key.startsWith(PAGES_PREFIX)).map((key) => caches.delete(key)),
    ));
  }
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {});
    navigator.serviceWorker.addEventListener("message", (event) => {
      const data = event.data || {};
      if (data.type === "kept" && data.tag === account) document.documentElement.dataset.offlineReady = "yes";
      if (data.type === "send") sendPending();
    });
    navigator.serviceWorker.ready.then((registration) => {
      const message = account
        ? { type: "account", tag: account, refresh: location.pathname === "/today" }
        : { type: "signout" };
      if (registration.active) registration.active.postMessage(message);
    });
  }
  if (!account) forgetPages();
  if (location.pathname === "/decision") clearDraft(); // the session was stored
  document.querySelectorAll('form[action="/logout"]').forEach((form) => {
    form.addEventListener("submit", (event) => {
      clearDraft();
      if (form.dataset.forgotten) return;
      event.preventDefault();
      forgetPages().finally(() => { form.dataset.forgotten = "yes"; form.submit(); });
    });
  });
  const status = document.querySelector("[data-offline-status]");
  if (status) status.hidden = navigator.onLine;

  // ---- the guided session's pages
  const sessionForm = document.querySelector("#session-form[data-offline-session]");
  if (sessionForm && account) {
    const stepInput = sessionForm.querySelector('input[name="step"]');
    const step = stepInput ? stepInput.value : "";
    if (step === "check") {
      writeDraft({ account: account, values: {} }); // a new session starts here
    } else {
      const draft = readDraft();
      if (draft.check && !draft.check.stored) {
        draft.check.stored = true; // the server took it: it showed the next step
        writeDraft(draft);
      }
    }
    if (step === "check") watchRedFlags(sessionForm);
    sessionForm.addEventListener("submit", (event) => {
      const fields = fieldsOf(sessionForm, event.submitter);
      const draft = readDraft();
      const now = localIso(new Date());
      if (step === "check") {
        draft.check = { at: now, fields: checkFields(fields), stored: false };
      } else {
        Object.assign(draft.values, fields);
      }
      const stopping = fields.action === "stop";
      if ((step === "after" || step === "stop") && !stopping) {
        draft.finished_at = now;
        draft.key = fields.idempotency_key; // the same key if the server did get it
        draft.kind = step === "stop" ? "stop" : "session";
      }
      writeDraft(draft);
      if (navigator.onLine) return; // sent as usual; the service worker catches a failed send
      event.preventDefault();
      if (step === "check" && yesCodes(sessionForm).length) {
        showGuidance(yesCodes(sessionForm));
        return;
      }
      if (draft.finished_at && draft.kind) {
        keep(draft).then(() => showKept(sessionForm));
        return;
      }
      location.assign(stopping ? "/session/offline#stop" : "/session/offline");
    });
  }

  // ---- the session without a connection (/session/offline)
  const offlineForm = document.querySelector("#offline-session-form[data-offline-form]");
  if (offlineForm && account) {
    const draft = readDraft();
    const checkSection = document.getElementById("offline-check");
    let checkedAt = null;
    if (draft.check && checkSection) {
      checkSection.hidden = true;
      checkSection.querySelectorAll("input").forEach((input) => { input.disabled = true; });
    }
    for (const [name, value] of Object.entries(draft.values)) {
      offlineForm.querySelectorAll('[name="' + CSS.escape(name) + '"]').forEach((input) => {
        if (input.type === "radio") input.checked = input.value === value;
        else if (input.type !== "hidden") input.value = value;
      });
    }
    offlineForm.addEventListener("change", (event) => {
      const input = event.target;
      if (input instanceof HTMLInputElement && input.name.startsWith("flag_") && !checkedAt) checkedAt = localIso(new Date());
    });
    watchRedFlags(offlineForm);
    let stopping = false;
    function stopNow() {
      // Stop now is never refused: no safety check, no "after" questions; pain now instead.
      stopping = true;
      ["offline-check", "offline-after"].forEach((id) => {
        const section = document.getElementById(id);
        section.hidden = true;
        section.querySelectorAll("input").forEach((input) => { input.disabled = true; });
      });
      const stop = document.getElementById("offline-stop");
      stop.hidden = false;
      document.getElementById("offline-stop-now").hidden = true;
      document.getElementById("offline-save").textContent = "Save and stop";
      stop.scrollIntoView({ block: "start" });
    }
    document.getElementById("offline-stop-now").addEventListener("click", stopNow);
    if (location.hash === "#stop") stopNow();
    offlineForm.addEventListener("submit", (event) => {
      event.preventDefault();
      const problem = document.getElementById("offline-error");
      const yes = yesCodes(offlineForm);
      if (yes.length) { showGuidance(yes); return; }
      const missing = Array.from(offlineForm.querySelectorAll("fieldset")).find((group) => {
        if (group.closest("[hidden]")) return false; // a part not asked now
        const radios = group.querySelectorAll('input[type="radio"]:not(:disabled)');
        return radios.length && !Array.from(radios).some((radio) => radio.checked);
      });
      if (missing) {
        problem.textContent = "Please answer: " + missing.querySelector("legend").textContent;
        problem.hidden = false;
        missing.scrollIntoView({ block: "center" });
        return;
      }
      problem.hidden = true;
      const fields = fieldsOf(offlineForm);
      const now = localIso(new Date());
      if (!draft.check && !stopping) draft.check = { at: checkedAt || now, fields: checkFields(fields), stored: false };
      Object.assign(draft.values, fields);
      draft.finished_at = now;
      draft.kind = stopping ? "stop" : "session";
      draft.key = draft.key || newKey(); // the session step's own key, if it was sent
      keep(draft).then(() => { showKept(offlineForm); sendPending(); });
    });
  }

  window.addEventListener("online", () => { if (status) status.hidden = true; sendPending(); });
  window.addEventListener("offline", () => { if (status) status.hidden = false; });
  sendPending();
})();
