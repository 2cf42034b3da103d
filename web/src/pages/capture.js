// The capture page.
import { startPage } from "../lib/page.js";

startPage([]);
