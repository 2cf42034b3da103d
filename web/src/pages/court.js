// The court page.
import { startPage } from "../lib/page.js";

startPage([]);
