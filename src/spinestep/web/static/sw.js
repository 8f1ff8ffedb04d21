/* spinestep's service worker. Served at /sw.js (scope: the whole app) with VERSION, SHELL,
   OWN_PAGES and OFFLINE_PAGE written in front of this file by web/routers/offline_pages.py;
   web/offline.py says what is kept and why.

   - The app shell (SHELL: styles, scripts, icons, drawings, demonstrations) is kept on
     install, in a cache named after VERSION, and served from it first.
   - The signed-in patient's own pages (OWN_PAGES) go to the network first; a copy is kept
     in the cache "spinestep-pages-<account tag>" and shown when there is no connection.
     The page script (offline.js) names the account; the cache of any other account is
     deleted then, and every page cache on sign-out or on a page without a patient.
   - Nothing else is kept. A failed send of a session step goes to the offline session
     page, which continues from what the page script noted. */
"use strict";

const SHELL_CACHE = "spinestep-shell-" + VERSION;
const SHELL_PREFIX = "spinestep-shell-";
const PAGES_PREFIX = "spinestep-pages-";
const TAG = /^[0-9a-f]{8,64}$/;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(SHELL_CACHE)
      .then((cache) => cache.addAll(SHELL))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(
        keys.filter((key) => key.startsWith(SHELL_PREFIX) && key !== SHELL_CACHE)
          .map((key) => caches.delete(key)),
      ))
      .then(() => self.clients.claim()),
  );
});

async function pagesCache() {
  const keys = (await caches.keys()).filter((key) => key.startsWith(PAGES_PREFIX));
  return keys.length === 1 ? caches.open(keys[0]) : null;
}

async function forgetPages(except) {
  const keys = (await caches.keys()).filter((key) => key.startsWith(PAGES_PREFIX) && key !== except);
  await Promise.all(keys.map((key) => caches.delete(key)));
}

// Only the patient's own page itself: not a redirect (to sign-in, or elsewhere), not an error.
function keepable(response, path) {
  return response.ok && !response.redirected && response.type === "basic"
    && new URL(response.url).pathname === path;
}

async function keepOwnPages(tag, refresh) {
  const name = PAGES_PREFIX + tag;
  await forgetPages(name);
  const cache = await caches.open(name);
  await Promise.all(OWN_PAGES.map(async (path) => {
    if (!refresh && await cache.match(path)) return;
    try {
      const response = await fetch(path, { credentials: "same-origin", cache: "no-store" });
      if (keepable(response, path) && (await caches.has(name))) await cache.put(path, response);
    } catch (error) {
      // No connection: keep the copy there is.
    }
  }));
}

async function cachedPage(path) {
  const cache = await pagesCache();
  return cache ? cache.match(path) : undefined;
}

function offlineAnswer() {
  const html = "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\">"
    + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    + "<title>Offline · spinestep</title><link rel=\"stylesheet\" href=\"/static/app.css\">"
    + "<main id=\"main\"><h1>You are offline</h1><p>This page is not kept on your phone. "
    + "In an emergency, call your local emergency number.</p></main></html>";
  return new Response(html, { status: 503, headers: { "content-type": "text/html; charset=utf-8" } });
}

async function ownPage(request, path, plain) {
  try {
    const response = await fetch(request);
    if (plain && keepable(response, path)) {
      const cache = await pagesCache();
      if (cache) await cache.put(path, response.clone());
    }
    return response;
  } catch (error) {
    return (await cachedPage(path)) || (await cachedPage(OFFLINE_PAGE)) || offlineAnswer();
  }
}

async function otherPage(request) {
  try {
    return await fetch(request);
  } catch (error) {
    return (await cachedPage(OFFLINE_PAGE)) || offlineAnswer();
  }
}

async function shellFile(request) {
  const kept = await caches.match(request, { cacheName: SHELL_CACHE, ignoreSearch: true });
  return kept || fetch(request);
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "GET" && SHELL.includes(url.pathname)) {
    event.respondWith(shellFile(request));
  } else if (request.mode === "navigate" && request.method === "GET") {
    if (OWN_PAGES.includes(url.pathname)) {
      event.respondWith(ownPage(request, url.pathname, url.search === ""));
    } else {
      event.respondWith(otherPage(request));
    }
  } else if (request.mode === "navigate" && request.method === "POST" && url.pathname === "/session") {
    // A step of the session that could not be sent: carry on without the server.
    event.respondWith(fetch(request).catch(() => Response.redirect("/session/offline", 303)));
  }
});

self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type === "account" && typeof data.tag === "string" && TAG.test(data.tag)) {
    event.waitUntil(keepOwnPages(data.tag, data.refresh === true).then(() => {
      if (event.source) event.source.postMessage({ type: "kept", tag: data.tag });
    }));
  } else if (data.type === "signout") {
    event.waitUntil(forgetPages(null));
  }
});

// Background Sync: ask the open pages to send what waits (they hold the form token).
self.addEventListener("sync", (event) => {
  if (event.tag !== "spinestep-send") return;
  event.waitUntil(self.clients.matchAll({ type: "window" }).then((clients) => {
    clients.forEach((client) => client.postMessage({ type: "send" }));
  }));
});
