// The landing of an email link that went through Supabase Auth's /verify (the default
// templates' {{ .ConfirmationURL }}): Auth redirects here with the session in the URL
// fragment, #access_token=…&refresh_token=…&type=recovery|invite, or an error there
// (#error_code=otp_expired&…). The fragment never reaches the server: this puts the tokens
// into the password form's hidden fields, removes them from the address bar and history,
// and shows the form; anything else shows the "ask for a new link" message.
(function () {
  const form = document.getElementById("link-landing-form");
  const problem = document.getElementById("link-problem");
  if (!form || !problem) return;
  const fragment = new URLSearchParams(window.location.hash.replace(/^#/, ""));
  const access = fragment.get("access_token");
  const refresh = fragment.get("refresh_token");
  const type = fragment.get("type");
  if (window.location.hash) {
    history.replaceState(null, "", window.location.pathname + window.location.search);
  }
  if (!access || !refresh || fragment.get("error_code")) {
    problem.hidden = false;
    return;
  }
  form.elements.access_token.value = access;
  form.elements.refresh_token.value = refresh;
  if (type === "recovery" || type === "invite") form.elements.type.value = type;
  if (type === "invite") {
    const heading = document.getElementById("password-heading");
    if (heading) heading.textContent = "Welcome — set your password";
  }
  form.hidden = false;
  const first = form.querySelector("input[type=password]");
  if (first) first.focus();
})();
