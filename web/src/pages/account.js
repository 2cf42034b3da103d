// The account page.
import { startPage } from "../lib/page.js";

startPage([]);
