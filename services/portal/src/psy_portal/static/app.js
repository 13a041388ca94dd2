// Small progressive enhancements; every page works without them.
"use strict";

// The hold countdown on «Данные консультации».
(function holdCountdown() {
  const box = document.getElementById("hold-countdown");
  if (!box) return;
  const expires = Date.parse(box.dataset.expires);
  const value = document.getElementById("countdown-value");
  const expired = document.getElementById("hold-expired");
  const submit = document.getElementById("submit-booking");
  function tick() {
    const left = Math.max(0, Math.round((expires - Date.now()) / 1000));
    const m = String(Math.floor(left / 60)).padStart(2, "0");
    const s = String(left % 60).padStart(2, "0");
    value.textContent = m + ":" + s;
    if (left === 0) {
      box.classList.add("hidden");
      expired.classList.remove("hidden");
      if (submit) submit.disabled = true;
      return;
    }
    setTimeout(tick, 1000);
  }
  tick();
})();

// A submitted form is not submitted twice by a double click (the Idempotency-Key covers the rest).
document.addEventListener("submit", function (event) {
  const form = event.target;
  if (form.dataset.sent) { event.preventDefault(); return; }
  form.dataset.sent = "1";
  setTimeout(function () { delete form.dataset.sent; }, 5000);
});

// The success dialog: modal (focus stays inside, Esc works), «Хорошо» leads to «Мои записи».
(function successDialog() {
  const dialog = document.querySelector("dialog[data-modal]");
  if (!dialog || typeof dialog.showModal !== "function") return;
  dialog.close();
  dialog.showModal();
  const ok = dialog.querySelector("#ok");
  if (ok) ok.focus();
  dialog.addEventListener("cancel", function (event) {
    event.preventDefault();
    window.location.href = ok ? ok.getAttribute("href") : "/bookings";
  });
})();

// The unread count in the header, live: the portal relays notify's events for this user.
(function unreadLive() {
  const badge = document.getElementById("unread");
  if (!badge || typeof EventSource !== "function") return;
  const count = document.getElementById("unread-count");
  function refresh() {
    fetch("/messages/unread", { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data || data.unread === null || data.unread === undefined) return;
        count.textContent = String(data.unread);
        badge.classList.toggle("hidden", !data.unread);
      })
      .catch(function () {});
  }
  const source = new EventSource(badge.dataset.stream);
  source.onmessage = refresh;
  source.onopen = refresh;
})();
