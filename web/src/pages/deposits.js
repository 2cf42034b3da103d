// The deposits page.
import { startPage } from "../lib/page.js";

startPage([]);
