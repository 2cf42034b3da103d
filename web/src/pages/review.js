// The review page.
import { startPage } from "../lib/page.js";

startPage([]);
