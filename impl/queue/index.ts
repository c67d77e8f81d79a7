/**
 * Registers every queue implementation: each module below calls register() at
 * import. impl/index.ts imports this file; add one import line per queue module.
 */
import "./spsc.ts";
import "./fan-in.ts";
import "./mutex.ts";
import "./message-port.ts";
import "./message-port-object.ts";
