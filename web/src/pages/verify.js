// The verify page.
import { startPage } from "../lib/page.js";

startPage([]);
