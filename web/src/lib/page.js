// Starts a page's script: its texts, the language switch, and a place to
// report an error the page did not expect.
import { addStrings, initLanguage, t } from "./i18n.js";

/**
 * Runs main once the page is ready, with the texts of areas (i18n/*.json
 * objects) added to the common ones. An error main throws is shown at the
 * top of the page rather than lost in the console.
 */
export function startPage(areas, main) {
  addStrings(...areas);
  const run = async () => {
    initLanguage();
    try {
      await main?.();
    } catch (err) {
      const box = document.createElement("p");
      box.className = "notice error";
      box.setAttribute("role", "alert");
      box.textContent = t("err.unexpected", { message: err?.message ?? String(err) });
      document.getElementById("main")?.prepend(box);
      throw err;
    }
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", run);
  else run();
}
