/**
 * The registry: every implementation under a stable name with its
 * capabilities. Experiments, the pipeline and CI pick implementations by name.
 *
 * Implementations register themselves when their module loads
 * (impl/alloc/index.ts, impl/queue/index.ts); import `impl/index.ts` to get all
 * of them, in the main thread and in every Worker that opens a queue end.
 */
import {
  type Allocator,
  type AllocatorConfig,
  type AllocatorOptions,
  AllocatorOptionsSchema,
  type QueueCapabilities,
  type QueueConfig,
  type QueueConsumer,
  type QueueEndHandle,
  type QueueEnds,
  type QueueOptions,
  QueueOptionsSchema,
  type QueueProducer,
} from "./contracts.ts";

export type ImplementationKind = "allocator" | "queue";

export interface AllocatorRegistration {
  readonly kind: "allocator";
  readonly name: string;
  readonly description: string;
  create(config: AllocatorConfig): Allocator;
}

export interface QueueRegistration {
  readonly kind: "queue";
  readonly name: string;
  readonly description: string;
  readonly capabilities: QueueCapabilities;
  create(config: QueueConfig): QueueEnds;
  openProducer(handle: QueueEndHandle): QueueProducer;
  openConsumer(handle: QueueEndHandle): QueueConsumer;
}

export type Registration = AllocatorRegistration | QueueRegistration;

/** Raised for an unknown name or a wiring the implementation does not support. */
export class RegistryError extends Error {
  override name = "RegistryError";
}

const registrations = new Map<string, Registration>();

/** Registers an implementation; a second registration under a taken name is refused. */
export function register(reg: Registration): void {
  const existing = registrations.get(reg.name);
  if (existing && existing !== reg) {
    throw new RegistryError(
      `an implementation named "${reg.name}" is already registered (${existing.kind})`,
    );
  }
  registrations.set(reg.name, reg);
}

export function listImplementations(kind: "allocator"): AllocatorRegistration[];
export function listImplementations(kind: "queue"): QueueRegistration[];
export function listImplementations(kind: ImplementationKind): Registration[];
/** Every registered implementation of `kind`, in registration order. */
export function listImplementations(kind: ImplementationKind): Registration[] {
  return [...registrations.values()].filter((r) => r.kind === kind);
}

function names(kind: ImplementationKind): string {
  return listImplementations(kind)
    .map((r) => r.name)
    .join(", ");
}

/** The registration called `name`, optionally of `kind`; the error names the valid choices. */
export function lookup(name: string, kind?: ImplementationKind): Registration {
  const reg = registrations.get(name);
  if (!reg || (kind && reg.kind !== kind)) {
    const valid = kind ? names(kind) : [...registrations.keys()].join(", ");
    throw new RegistryError(
      `unknown ${kind ?? "implementation"} "${name}"; valid choices: ${valid || "(none registered: import impl/index.ts)"}`,
    );
  }
  return reg;
}

function describeIssues(
  what: string,
  error: { issues: { path: PropertyKey[]; message: string }[] },
): string {
  return error.issues
    .map((i) => `${what}.${i.path.map(String).join(".") || "(root)"}: ${i.message}`)
    .join("; ");
}

/** Creates the allocator called `name`. */
export function createAllocator(name: string, options: AllocatorOptions = {}): Allocator {
  const reg = lookup(name, "allocator") as AllocatorRegistration;
  const parsed = AllocatorOptionsSchema.safeParse(options);
  if (!parsed.success)
    throw new RegistryError(
      `bad options for allocator "${name}": ${describeIssues("options", parsed.error)}`,
    );
  return reg.create(parsed.data);
}

/** Validates options and the wiring (producers vs capabilities) for queue `name`. */
export function queueConfig(name: string, options: QueueOptions): QueueConfig {
  const reg = lookup(name, "queue") as QueueRegistration;
  const parsed = QueueOptionsSchema.safeParse(options);
  if (!parsed.success)
    throw new RegistryError(
      `bad options for queue "${name}": ${describeIssues("options", parsed.error)}`,
    );
  const config = parsed.data;
  if (config.producers > 1 && !reg.capabilities.multiProducer && !config.unsafe) {
    const multi = listImplementations("queue")
      .filter((r) => r.capabilities.multiProducer)
      .map((r) => r.name);
    throw new RegistryError(
      `queue "${name}" supports one producer, got producers=${config.producers}: ` +
        `concurrent pushes would lose or duplicate events. Use one of ${multi.join(", ") || "(none)"} ` +
        `(fan-in gives each producer its own ring), or pass unsafe: true to measure the damage.`,
    );
  }
  return config;
}

/** Creates the queue called `name`; hand its ends to threads with producerHandle(i)/consumerHandle(). */
export function createQueue(name: string, options: QueueOptions): QueueEnds {
  const reg = lookup(name, "queue") as QueueRegistration;
  return reg.create(queueConfig(name, options));
}

/** Creates the implementation called `name`, whichever contract it serves. */
export function create(
  name: string,
  options: AllocatorOptions | QueueOptions,
): Allocator | QueueEnds {
  const reg = lookup(name);
  return reg.kind === "allocator"
    ? createAllocator(name, options as AllocatorOptions)
    : createQueue(name, options as QueueOptions);
}

/** Opens a producer end from its handle, in any thread that imported impl/index.ts. */
export function openProducer(handle: QueueEndHandle): QueueProducer {
  if (handle.role !== "producer")
    throw new RegistryError(`openProducer: handle is a ${handle.role} end`);
  return (lookup(handle.kind, "queue") as QueueRegistration).openProducer(handle);
}

/** Opens the consumer end from its handle, in any thread that imported impl/index.ts. */
export function openConsumer(handle: QueueEndHandle): QueueConsumer {
  if (handle.role !== "consumer")
    throw new RegistryError(`openConsumer: handle is a ${handle.role} end`);
  return (lookup(handle.kind, "queue") as QueueRegistration).openConsumer(handle);
}
