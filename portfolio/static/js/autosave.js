/*
 * Autosave for the evidence draft form (templates/evidence/edit.html).
 *
 * Progressive enhancement: without this script the form saves with its buttons as before.
 * With it, the draft is sent to the server about two seconds after typing stops, at once when
 * the learner leaves a field, and every twenty seconds while anything is unsaved, so a closed
 * browser or an expired session loses at most the last few seconds. The whole form is sent
 * (every field type, repeating rows included) through the same server-side path as the Save
 * button. One request at a time; a change made meanwhile is sent next.
 *
 * Until the server has it, the unsaved text is also kept in this browser (localStorage) and
 * offered back when the page is opened again; it is removed as soon as a save succeeds.
 *
 * When the server refuses a save because the draft was saved elsewhere first (409), autosave
 * stops and both versions are shown, so nothing is overwritten without the learner choosing.
 */
(function () {
  "use strict";

  var form = document.querySelector("form[data-autosave-url]");
  if (!form || !window.fetch || !window.FormData) {
    return;
  }

  var DEBOUNCE_MS = Number(form.getAttribute("data-autosave-debounce")) || 2000;
  var PERIOD_MS = 20000;
  var RETRY_FIRST_MS = 5000;
  var RETRY_MAX_MS = 60000;
  var BACKUP_MAX_AGE_MS = 14 * 24 * 60 * 60 * 1000;

  var url = form.getAttribute("data-autosave-url");
  // One copy per tab (two tabs on one draft must not clear each other's), found again by the
  // draft's id when it is next opened.
  var storagePrefix = "portfolio-draft-" + form.getAttribute("data-evidence-id") + "-";
  var storageKey = storagePrefix + Math.random().toString(36).slice(2);
  var versionInput = form.querySelector('input[name="version"]');
  var csrfInput = form.querySelector('input[name="csrf_token"]');
  var topStatus = document.querySelector("[data-autosave-status]");
  var bottomStatus = document.querySelector("[data-autosave-status-bottom]");
  var lastSaved = document.querySelector("[data-autosave-last]");
  if (!versionInput || !csrfInput) {
    return;
  }

  var savedAt = form.getAttribute("data-saved-at") || "";
  // What the server holds, as far as this page knows: the form as the server wrote it, not as it
  // is now, since on a slow connection the learner may have typed before this script ran.
  var savedSnapshot = snapshot(defaultEntries());
  var refusedSnapshot = null; // content the server refused as invalid: not resent unchanged
  var inFlight = false;
  var queued = false;
  var stopped = false; // after a conflict, until the learner chooses
  var leaving = false; // a form submit or a chosen reload: no "unsaved" warning
  var debounceTimer = null;
  var retryTimer = null;
  var retryDelay = 0;
  var csrfRetried = false;
  var pendingSubmitter = null; // the button pressed while a save was on its way
  var sentSnapshot = null; // what the request on its way carries
  var sentToOutlive = false; // ...and whether it will reach the server if the page goes

  // --- Reading the form -------------------------------------------------------------------

  function entries() {
    var list = [];
    new FormData(form).forEach(function (value, name) {
      // The token and version travel separately; files are never autosaved.
      if (name === "csrf_token" || name === "version" || typeof value !== "string") {
        return;
      }
      list.push([name, value]);
    });
    return list;
  }

  // The same list as entries(), read from the values the page arrived with (FormData's rules:
  // tree order, named enabled controls, ticked boxes, selected options).
  function defaultEntries() {
    var list = [];
    Array.prototype.forEach.call(form.elements, function (control) {
      var name = control.name;
      var type = (control.type || "").toLowerCase();
      if (!name || control.disabled || name === "csrf_token" || name === "version") {
        return;
      }
      if (control.tagName === "BUTTON" || control.tagName === "FIELDSET" ||
          ["submit", "button", "reset", "image", "file"].indexOf(type) !== -1) {
        return;
      }
      if (type === "checkbox" || type === "radio") {
        if (control.defaultChecked) {
          list.push([name, control.getAttribute("value") === null ? "on" : control.value]);
        }
      } else if (control.tagName === "SELECT") {
        var options = Array.prototype.slice.call(control.options);
        var chosen = options.filter(function (option) { return option.defaultSelected; });
        if (!chosen.length && !control.multiple && options.length) {
          chosen = [options[0]];
        }
        chosen.forEach(function (option) { list.push([name, option.value]); });
      } else {
        list.push([name, control.defaultValue]);
      }
    });
    return list;
  }

  function snapshot(list) {
    return JSON.stringify(list);
  }

  function dirty() {
    return snapshot(entries()) !== savedSnapshot;
  }

  function clean(text) {
    return (text || "").replace(/\s+/g, " ").trim();
  }

  function labelOf(control) {
    var label = control.labels && control.labels[0];
    return label ? clean(label.textContent) : control.name;
  }

  // The learner's version as a reader sees it, one entry per field: what a label names, and
  // for choices the labels of those chosen.
  function pageFields() {
    var fields = [];
    var seen = {};
    Array.prototype.forEach.call(form.elements, function (control) {
      var type = (control.type || "").toLowerCase();
      if (!control.name || seen[control.name] || control.disabled) {
        return;
      }
      if (["hidden", "submit", "button", "reset", "file", "image", ""].indexOf(type) >= 0) {
        return;
      }
      if (type === "checkbox" || type === "radio") {
        seen[control.name] = true;
        var group = Array.prototype.filter.call(form.elements, function (other) {
          return other.name === control.name;
        });
        var fieldset = control.closest("fieldset");
        var legend = fieldset && fieldset.querySelector("legend");
        var chosen = group.filter(function (box) { return box.checked; }).map(labelOf);
        var label = group.length > 1 && legend ? clean(legend.textContent) : labelOf(control);
        fields.push({ label: label, text: chosen.join("\n") });
        return;
      }
      if (control.tagName === "SELECT") {
        var picked = Array.prototype.filter.call(control.options, function (option) {
          return option.selected && option.value;
        });
        fields.push({
          label: labelOf(control),
          text: picked.map(function (option) { return clean(option.textContent); }).join("\n"),
        });
        return;
      }
      fields.push({ label: labelOf(control), text: control.value });
    });
    return fields;
  }

  // --- Telling the learner ----------------------------------------------------------------

  // The top region is the live one (announced); the one by the buttons repeats it for sighted
  // learners and also shows "Saving…", which would be noise if it were announced each time.
  function show(message, problem, announce) {
    if (bottomStatus) {
      bottomStatus.textContent = message;
      bottomStatus.classList.toggle("is-problem", Boolean(problem));
    }
    if (topStatus && announce !== false) {
      topStatus.textContent = message;
      topStatus.classList.toggle("is-problem", Boolean(problem));
    }
  }

  // Times are shown in UK time (Europe/London, GMT or BST) everywhere in the app, as the
  // server writes them (core/localtime.py): "7 December 2026, 14:05".
  function londonParts(iso) {
    var when = new Date(iso);
    if (isNaN(when.getTime())) {
      return null;
    }
    var parts = {};
    new Intl.DateTimeFormat("en-GB", {
      timeZone: "Europe/London", day: "numeric", month: "long", year: "numeric",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23"
    }).formatToParts(when).forEach(function (part) { parts[part.type] = part.value; });
    return parts;
  }

  function timeOf(iso) {
    var p = londonParts(iso);
    return p ? p.hour + ":" + p.minute : "";
  }

  function dateTimeOf(iso) {
    var p = londonParts(iso);
    return p ? p.day + " " + p.month + " " + p.year + ", " + p.hour + ":" + p.minute : "";
  }

  // --- This browser's copy of unsaved text -------------------------------------------------

  function backup() {
    try {
      window.localStorage.setItem(
        storageKey,
        JSON.stringify({ version: versionInput.value, at: new Date().toISOString(), entries: entries() })
      );
    } catch (e) {
      /* storage full or blocked: the server copy is what counts */
    }
  }

  // Every copy this browser holds of this draft: [{key, copy}].
  function readBackups() {
    var found = [];
    try {
      for (var i = 0; i < window.localStorage.length; i += 1) {
        var key = window.localStorage.key(i);
        if (key && key.indexOf(storagePrefix) === 0) {
          var copy = JSON.parse(window.localStorage.getItem(key) || "null");
          if (copy && Array.isArray(copy.entries)) {
            found.push({ key: key, copy: copy });
          }
        }
      }
    } catch (e) {
      /* unreadable storage: nothing to offer */
    }
    return found;
  }

  function removeBackup(key) {
    try {
      window.localStorage.removeItem(key);
    } catch (e) {
      /* nothing to clear */
    }
  }

  function clearBackup() {
    removeBackup(storageKey);
  }

  // Other drafts' copies left for weeks (a shared computer): removed.
  function dropOldBackups() {
    try {
      for (var i = window.localStorage.length - 1; i >= 0; i -= 1) {
        var key = window.localStorage.key(i);
        if (key && key.indexOf("portfolio-draft-") === 0) {
          var item = JSON.parse(window.localStorage.getItem(key) || "{}");
          if (!item.at || Date.now() - Date.parse(item.at) > BACKUP_MAX_AGE_MS) {
            window.localStorage.removeItem(key);
          }
        }
      }
    } catch (e) {
      /* unreadable storage: leave it */
    }
  }

  function restore(list) {
    var byName = {};
    list.forEach(function (entry) {
      (byName[entry[0]] = byName[entry[0]] || []).push(entry[1]);
    });
    var first = null;
    Array.prototype.forEach.call(form.elements, function (control) {
      var type = (control.type || "").toLowerCase();
      if (!control.name || control.name === "csrf_token" || control.name === "version") {
        return;
      }
      if (["hidden", "submit", "button", "reset", "file", "image", ""].indexOf(type) >= 0) {
        return;
      }
      var values = byName[control.name] || [];
      if (type === "checkbox" || type === "radio") {
        control.checked = values.indexOf(control.value) >= 0;
      } else if (control.tagName === "SELECT") {
        Array.prototype.forEach.call(control.options, function (option) {
          option.selected = values.indexOf(option.value) >= 0;
        });
      } else {
        // Fields sharing a name take their values in order, as FormData gave them.
        var value = values.length ? values.shift() : "";
        if (control.value !== value) {
          control.value = value;
          first = first || control;
        }
      }
    });
    return first;
  }

  // A copy is worth offering if it differs from the draft as saved and was typed on top of
  // this version, or after this version was saved.
  function offerBackup() {
    var offered = null;
    readBackups().forEach(function (found) {
      var copy = found.copy;
      var useful =
        snapshot(copy.entries) !== savedSnapshot &&
        (String(copy.version) === versionInput.value ||
          (copy.at && savedAt && Date.parse(copy.at) > Date.parse(savedAt)));
      if (!useful) {
        removeBackup(found.key);
      } else if (!offered || Date.parse(copy.at) > Date.parse(offered.copy.at)) {
        offered = found;
      }
    });
    if (!offered) {
      return;
    }
    var copy = offered.copy;
    var others = readBackups();
    var box = document.createElement("div");
    box.className = "notice autosave-restore";
    box.setAttribute("role", "region");
    box.setAttribute("aria-labelledby", "autosave-restore-title");
    var heading = document.createElement("h2");
    heading.id = "autosave-restore-title";
    heading.textContent = "This browser kept text that was not saved";
    var text = document.createElement("p");
    text.textContent =
      "You typed it on " + dateTimeOf(copy.at) + ", after the last save reached the server. Put it back into the form, or discard it " +
      "and keep the draft as saved.";
    var actions = document.createElement("div");
    actions.className = "actions";
    var put = document.createElement("button");
    put.type = "button";
    put.textContent = "Put my unsaved text back";
    var drop = document.createElement("button");
    drop.type = "button";
    drop.className = "secondary";
    drop.textContent = "Discard it";
    actions.appendChild(put);
    actions.appendChild(drop);
    box.appendChild(heading);
    box.appendChild(text);
    box.appendChild(actions);
    form.parentNode.insertBefore(box, form);
    put.addEventListener("click", function () {
      var first = restore(copy.entries);
      others.forEach(function (found) {
        removeBackup(found.key);
      });
      backup(); // now this tab's copy, until it is saved
      box.remove();
      (first || form.querySelector("input, textarea, select")).focus();
      save();
    });
    drop.addEventListener("click", function () {
      others.forEach(function (found) {
        removeBackup(found.key);
      });
      box.remove();
      form.querySelector("input:not([type=hidden]), textarea, select").focus();
    });
  }

  // --- Saving -----------------------------------------------------------------------------

  function schedule() {
    window.clearTimeout(debounceTimer);
    debounceTimer = window.setTimeout(save, DEBOUNCE_MS);
  }

  function retryLater(message) {
    show(message, true);
    retryDelay = retryDelay ? Math.min(retryDelay * 2, RETRY_MAX_MS) : RETRY_FIRST_MS;
    window.clearTimeout(retryTimer);
    retryTimer = window.setTimeout(function () {
      retryTimer = null;
      save();
    }, retryDelay);
  }

  function save() {
    window.clearTimeout(debounceTimer);
    debounceTimer = null;
    if (stopped) {
      return;
    }
    if (inFlight) {
      queued = true;
      return;
    }
    var list = entries();
    var sent = snapshot(list);
    if (sent === savedSnapshot || sent === refusedSnapshot) {
      return;
    }
    window.clearTimeout(retryTimer);
    retryTimer = null;
    inFlight = true;
    queued = false;
    var body = new FormData();
    var size = 0;
    body.append("csrf_token", csrfInput.value);
    body.append("version", versionInput.value);
    list.forEach(function (entry) {
      body.append(entry[0], entry[1]);
      size += entry[0].length + entry[1].length * 3; // at most 3 bytes a character in UTF-8
    });
    // A keepalive request still reaches the server if the learner leaves the page (a link,
    // the tab closed) while it is on its way; browsers allow them only up to 64 KB.
    sentSnapshot = sent;
    sentToOutlive = size < 60000;
    show("Saving…", false, false);
    fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      keepalive: sentToOutlive,
      headers: { Accept: "application/json", "X-CSRFToken": csrfInput.value },
    })
      .then(
        function (response) {
          return response
            .json()
            .catch(function () {
              return {};
            })
            .then(function (data) {
              answered(response.status, data, sent);
            });
        },
        function () {
          retryLater(
            "Not saved: you are offline. Your text is still here; it will save when you are " +
              "back online."
          );
        }
      )
      .then(finished, finished);
  }

  function finished() {
    inFlight = false;
    sentSnapshot = null;
    if (pendingSubmitter !== null) {
      var submitter = pendingSubmitter;
      pendingSubmitter = null;
      if (!stopped) {
        leaving = true;
        if (form.requestSubmit) {
          form.requestSubmit(submitter || undefined);
        } else {
          form.submit();
        }
      }
      return;
    }
    if (queued && !retryTimer) {
      save();
    }
  }

  function answered(status, data, sent) {
    if (status === 200) {
      versionInput.value = String(data.version);
      savedSnapshot = sent;
      refusedSnapshot = null;
      savedAt = data.saved_at || savedAt;
      retryDelay = 0;
      csrfRetried = false;
      show(data.saved_label || "Saved");
      if (lastSaved && data.saved_at) {
        lastSaved.textContent = dateTimeOf(data.saved_at);
      }
      if (dirty()) {
        backup(); // typed while the save was on its way: still only in this browser
      } else {
        clearBackup();
      }
      if (Array.isArray(data.coverage)) {
        showCoverage(data.coverage);
      }
      form.dispatchEvent(new CustomEvent("autosave:saved", { detail: data, bubbles: true }));
      return;
    }
    if (status === 409 && data.current) {
      conflict(data.current);
      return;
    }
    if (status === 409) {
      stopped = true;
      show((data.error || "This draft can no longer be changed.") + " Reload the page.", true);
      return;
    }
    if (status === 422) {
      refusedSnapshot = sent;
      var problems = (data.problems || []).map(function (p) {
        return p.label + ": " + (p.messages || []).join(" ");
      });
      show("Not saved: " + (problems.join(" ") || data.error || "check the form."), true);
      return;
    }
    if (status === 401) {
      retryLater(
        "Not saved: you are signed out. Your text is still here: sign in again in another " +
          "tab, then it will save."
      );
      return;
    }
    if (status === 400 && data.csrf_token && !csrfRetried) {
      // The session was replaced (signed in again elsewhere): use its token from now on.
      csrfRetried = true;
      Array.prototype.forEach.call(
        document.querySelectorAll('input[name="csrf_token"]'),
        function (input) {
          input.value = data.csrf_token;
        }
      );
      queued = true;
      return;
    }
    retryLater(
      "Not saved: " + (data.error || "the server did not answer.") +
        " Your text is still here; trying again shortly."
    );
  }

  // --- Coverage hints (templates/evidence/_coverage.html) -----------------------------------

  // The hints beside the form follow the saved text. Redrawn only when they change: the
  // section is a live region, and an unchanged list read out after every save would be noise.
  var shownCoverage = null;

  function coverageItem(hint, withCues) {
    var item = document.createElement("li");
    var id = document.createElement("strong");
    id.textContent = hint.id;
    item.appendChild(id);
    item.appendChild(document.createTextNode(" " + hint.text));
    if (withCues && hint.cues && hint.cues.length) {
      var cues = document.createElement("span");
      cues.className = "muted";
      cues.textContent = "(found: " + hint.cues.join(", ") + ")";
      item.appendChild(document.createTextNode(" "));
      item.appendChild(cues);
    }
    return item;
  }

  function fillList(list, hints, withCues, emptyText) {
    while (list.firstChild) {
      list.removeChild(list.firstChild);
    }
    hints.forEach(function (hint) {
      list.appendChild(coverageItem(hint, withCues));
    });
    if (!hints.length) {
      var none = document.createElement("li");
      none.textContent = emptyText;
      list.appendChild(none);
    }
  }

  function showCoverage(hints) {
    var covered = document.getElementById("coverage-covered");
    var missing = document.getElementById("coverage-missing");
    var key = JSON.stringify(hints);
    if (!covered || !missing || key === shownCoverage) {
      return;
    }
    shownCoverage = key;
    fillList(covered, hints.filter(function (h) { return h.covered; }), true, "None yet.");
    fillList(
      missing,
      hints.filter(function (h) { return !h.covered; }),
      false,
      "None: your text touches every marking point."
    );
  }

  // --- Two tabs ---------------------------------------------------------------------------

  function versionSection(id, title, fields) {
    var section = document.createElement("section");
    section.setAttribute("aria-labelledby", id);
    var heading = document.createElement("h3");
    heading.id = id;
    heading.textContent = title;
    section.appendChild(heading);
    fields.forEach(function (field) {
      var label = document.createElement("h4");
      label.textContent = field.label;
      var text = document.createElement("p");
      text.className = "pre";
      text.textContent = field.text || "(empty)";
      section.appendChild(label);
      section.appendChild(text);
    });
    return section;
  }

  function conflict(current) {
    stopped = true;
    window.clearTimeout(retryTimer);
    retryTimer = null;
    backup();
    var when = timeOf(current.saved_at);
    show("Not saved: this draft was saved in another tab or device at " + when + ".", true);
    var old = document.getElementById("autosave-conflict");
    if (old) {
      old.remove();
    }
    var box = document.createElement("div");
    box.id = "autosave-conflict";
    box.className = "error-summary autosave-conflict";
    box.setAttribute("role", "alert");
    var heading = document.createElement("h2");
    heading.textContent = "This draft was saved in another tab or device at " + when;
    var text = document.createElement("p");
    text.textContent =
      "Autosave has stopped, so neither version is lost. Your version is what is on this page " +
      "now. Keep yours (it replaces the other), or load the other version instead (your text " +
      "on this page is then replaced: copy anything you need first).";
    var versions = document.createElement("div");
    versions.className = "two-col autosave-versions";
    versions.appendChild(
      versionSection("autosave-mine", "Your version (on this page)", pageFields())
    );
    versions.appendChild(
      versionSection(
        "autosave-other",
        "The other version (saved at " + when + ")",
        current.fields || []
      )
    );
    var actions = document.createElement("div");
    actions.className = "actions";
    var keep = document.createElement("button");
    keep.type = "button";
    keep.textContent = "Keep mine";
    var load = document.createElement("button");
    load.type = "button";
    load.className = "secondary";
    load.textContent = "Load the other version";
    actions.appendChild(keep);
    actions.appendChild(load);
    box.appendChild(heading);
    box.appendChild(text);
    box.appendChild(versions);
    box.appendChild(actions);
    form.parentNode.insertBefore(box, form);
    keep.addEventListener("click", function () {
      // Save over the other version knowingly: this page's copy now claims to be up to date.
      versionInput.value = String(current.version);
      savedSnapshot = null;
      stopped = false;
      box.remove();
      show("Saving…", false, false);
      save();
      form.querySelector("input:not([type=hidden]), textarea, select").focus();
    });
    load.addEventListener("click", function () {
      leaving = true;
      clearBackup();
      window.location.reload();
    });
  }

  // --- Wiring -----------------------------------------------------------------------------

  form.addEventListener("input", function () {
    backup();
    if (!stopped && !retryTimer) {
      schedule();
    }
  });
  // Leaving a field (or ticking a box, picking a choice): save at once.
  form.addEventListener("change", function () {
    if (!retryTimer) {
      save();
    }
  });
  form.addEventListener("focusout", function () {
    if (!retryTimer && dirty()) {
      save();
    }
  });
  form.addEventListener("submit", function (event) {
    if (inFlight) {
      // Wait for the save on its way: it changes the version this submit must carry.
      event.preventDefault();
      pendingSubmitter = event.submitter || false;
      return;
    }
    window.clearTimeout(debounceTimer);
    leaving = true;
  });
  window.setInterval(function () {
    if (!inFlight && !retryTimer && dirty()) {
      save();
    }
  }, PERIOD_MS);
  window.addEventListener("online", function () {
    if (retryTimer) {
      window.clearTimeout(retryTimer);
      retryTimer = null;
      save();
    }
  });
  // Leaving the page: unsent changes are sent now, in a request that outlives the page. Only
  // if that cannot be done (signed out, offline, a conflict waiting, a very long draft) does
  // the browser ask whether to leave.
  window.addEventListener("beforeunload", function (event) {
    if (leaving) {
      return;
    }
    var current = snapshot(entries());
    if (current === savedSnapshot) {
      return;
    }
    if (!inFlight && !retryTimer) {
      save();
    }
    if (inFlight && sentToOutlive && sentSnapshot === current) {
      return;
    }
    event.preventDefault();
    event.returnValue = "";
  });

  dropOldBackups();
  offerBackup();
  show("Your draft saves as you type.", false, false);
  if (dirty()) {
    // Typed before this script ran: keep it in this browser and send it as if typed now.
    backup();
    schedule();
  }
})();
