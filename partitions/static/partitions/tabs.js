// Properties / Associations tabs (WAI-ARIA tabs pattern: arrow keys, Home and End
// move between tabs; only the selected tab is in the Tab order). Without this script
// both panels are shown and the tab bar stays hidden.
"use strict";
(function () {
  const tablist = document.querySelector(".partition-tabs");
  if (!tablist) return;
  const tabs = Array.from(tablist.querySelectorAll('[role="tab"]'));
  const panelOf = (tab) => document.getElementById(tab.getAttribute("aria-controls"));
  if (!tabs.every(panelOf)) return;
  tabs.forEach((tab) => {
    const panel = panelOf(tab);
    panel.setAttribute("role", "tabpanel");
    panel.setAttribute("aria-labelledby", tab.id);
    panel.tabIndex = 0;
  });

  function select(tab, focus, remember = true) {
    tabs.forEach((other) => {
      const selected = other === tab;
      other.setAttribute("aria-selected", String(selected));
      other.tabIndex = selected ? 0 : -1;
      panelOf(other).hidden = !selected;
    });
    if (focus) tab.focus();
    if (remember) history.replaceState(null, "", "#" + tab.getAttribute("aria-controls"));
  }

  tabs.forEach((tab, index) => {
    tab.addEventListener("click", () => select(tab, false));
    tab.addEventListener("keydown", (event) => {
      const moves = {
        ArrowRight: (index + 1) % tabs.length,
        ArrowLeft: (index - 1 + tabs.length) % tabs.length,
        Home: 0,
        End: tabs.length - 1,
      };
      if (event.key in moves) {
        event.preventDefault();
        select(tabs[moves[event.key]], true);
      }
    });
  });
  tablist.hidden = false;
  // A link to #associations (or a reload after switching) opens that tab.
  const wanted = tabs.find((tab) => "#" + tab.getAttribute("aria-controls") === location.hash);
  select(wanted || tabs[0], false, false);
})();
