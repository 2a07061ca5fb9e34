// Carestral's service worker does one thing: when the server cannot be reached, a page load shows the
// offline page instead of the browser's error page. Page loads always go to the network first, and
// nothing but the offline page is ever cached: pages and API answers can carry a person's data, and a
// token's plaintext must exist only in the one response that created it.
// Bump the version whenever offline.html changes: a new worker installs and deletes the old cache.
const CACHE_NAME = "carestral-offline-v1";
const OFFLINE_PAGE = "/offline.html";

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE_NAME);
      // Past the HTTP cache: the page must be the one of the server that serves this worker.
      await cache.add(new Request(OFFLINE_PAGE, { cache: "reload" }));
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name !== CACHE_NAME) await caches.delete(name);
      }
      await self.clients.claim();
    })(),
  );
});

self.addEventListener("fetch", (event) => {
  const { request } = event;
  // Page loads only. A form post is a navigation too, but it is left to the browser so that its body is
  // never sent twice; scripts, styles and API calls are not ours either.
  if (request.mode !== "navigate" || request.method !== "GET") return;
  // fetch() rejects only when no answer came (server down, network gone); a 500 is the server's own page.
  event.respondWith(fetch(request).catch(() => offlinePage()));
});

async function offlinePage() {
  const cached = await caches.match(OFFLINE_PAGE, { cacheName: CACHE_NAME });
  if (!cached) return Response.error();
  // A new response, so that the page keeps the address that failed (its Try again link is that address),
  // with 503 since nothing was loaded. Its headers, the CSP among them, are the ones the server sent.
  return new Response(cached.body, { status: 503, statusText: "Service Unavailable", headers: cached.headers });
}
