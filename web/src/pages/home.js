// The start page: links to the portal's sections; nothing to load.
import { startPage } from "../lib/page.js";

startPage([]);
