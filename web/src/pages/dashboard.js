// The dashboard page.
import { startPage } from "../lib/page.js";

startPage([]);
