/**
 * Converges a Google Cloud project on a desired state, resource by resource and in order: each resource is
 * read (described), then created when absent, updated when a setting differs, or left alone; a resource the
 * plan retires (`remove`: what an earlier release made and this one no longer needs) is deleted when present. A command that
 * fails stops the run with gcloud's own message; only "not found" on a read means "absent". With `dryRun` the
 * same reads run and the would-be commands are printed instead of run.
 *
 * A resource may use what an earlier one reads (a function's URL for a push endpoint, the project number for
 * the Pub/Sub service agent): `outputs.get(id, key)`. When that earlier resource does not exist yet (a dry
 * run on a fresh project), the value is a `<placeholder>`, and whatever hangs on it counts as absent.
 */

/** A gcloud command as its arguments: no shell ever parses it, so no value can break its quoting. */
export interface GcloudCommand {
  readonly kind: 'gcloud';
  readonly args: readonly string[];
}

/**
 * A call to a Google REST API with gcloud's access token, for what gcloud has no command for (Firestore
 * security rules). `body` may use the previous call's answer (a release names the ruleset just created).
 */
export interface HttpCommand {
  readonly kind: 'http';
  readonly method: 'GET' | 'POST' | 'PATCH';
  readonly url: string;
  readonly body?: unknown | ((previous: unknown) => unknown);
}

export type Command = GcloudCommand | HttpCommand;

export interface Read {
  readonly command: Command;
  /** Picks this resource out of the answer (one index of a list, one binding of a policy); undefined = absent. */
  readonly select?: (answer: unknown) => unknown;
  /** A second read that the first answer leads to (a rules release names its ruleset). */
  readonly next?: (answer: unknown) => Read;
}

export interface Resource {
  /** Unique in the plan; later resources read this one's outputs by it. */
  readonly id: string;
  /** What it is, for people: `pubsub topic eventloom-domain-events`. */
  readonly what: string;
  readonly read: (outputs: Outputs) => Read;
  /**
   * Resources (ids) this one is read through: while one of them does not exist (a dry run on a fresh project:
   * an API not enabled yet, a topic not created), this one counts as absent without being read.
   */
  readonly needs?: readonly string[];
  /** Never created by the deploy (the project, the signed-in account): absent stops the run. */
  readonly mustExist?: string;
  readonly create: (outputs: Outputs) => readonly Command[];
  /** Where the current state differs from the desired one, as `field: current → desired`; empty when equal. */
  readonly differences?: (current: unknown, outputs: Outputs) => readonly string[];
  /** Without it, a difference stops the run: the resource cannot be changed in place. */
  readonly update?: (outputs: Outputs, current: unknown) => readonly Command[];
  /**
   * Set for what the plan retires: absent is as desired; present, these commands delete it. An empty list keeps
   * it for now (its notes say why: a backlog not yet delivered, records a TTL has still to delete).
   */
  readonly remove?: (current: unknown, outputs: Outputs) => readonly Command[];
  /** What the run reports and leaves alone (indexes no longer declared: old code may still use them). */
  readonly notes?: (current: unknown, outputs: Outputs) => readonly string[];
  readonly outputs?: (current: unknown) => Readonly<Record<string, string>>;
  /**
   * Errors to retry a few times while applying: IAM takes seconds to see a service account just created,
   * and a binding to it fails until then.
   */
  readonly retryOn?: RegExp;
}

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs commands for the engine: the real one spawns gcloud and calls fetch, tests pass a recorded fake. */
export interface CloudClient {
  run(command: Command, mode: 'read' | 'apply', previous?: unknown): Promise<CommandResult>;
}

export type Action = 'create' | 'update' | 'delete' | 'unchanged';

export interface Change {
  readonly resource: Resource;
  readonly action: Action;
  readonly differences: readonly string[];
  readonly commands: readonly Command[];
  readonly notes?: readonly string[];
}

export interface ConvergeOptions {
  readonly dryRun: boolean;
  /** Each resource's decision as it is taken (the CLI prints it). */
  readonly onChange?: (change: Change, index: number, total: number) => void;
  readonly retryDelayMs?: number;
}

export class DeployError extends Error {
  readonly code = 'DEPLOY.FAILED';
  constructor(
    readonly resource: string,
    message: string,
  ) {
    super(`${resource}: ${message}`);
  }
}

/** What gcloud and the REST APIs say when the thing asked about does not exist. */
export function isNotFound(result: CommandResult): boolean {
  return /NOT_FOUND|\b404\b|not found|Cannot find|does not exist|was not found/i.test(result.stderr);
}

const PLACEHOLDER = /<[^<>]+>/;

export class Outputs {
  private readonly values = new Map<string, Readonly<Record<string, string>>>();
  private readonly createdNow = new Set<string>();
  private missing = false;

  set(id: string, values: Readonly<Record<string, string>>, options: { readonly created?: boolean } = {}): void {
    this.values.set(id, values);
    if (options.created) this.createdNow.add(id);
  }

  exists(id: string): boolean {
    return this.values.has(id);
  }

  /**
   * True when the resource was there before this run: not created by it, and not merely planned (a dry run).
   * What must wait for something to have been in service a while (an old subscription's retirement) asks this.
   */
  existedBefore(id: string): boolean {
    return this.values.has(id) && !this.createdNow.has(id);
  }

  /** The value, or `<key of id>` when that resource does not exist yet (dry run). */
  get(id: string, key: string): string {
    const value = this.values.get(id)?.[key];
    if (value !== undefined) return value;
    this.missing = true;
    return `<${key} of ${id}>`;
  }

  /** True if a `get` since the last call found nothing. */
  takeMissing(): boolean {
    const missing = this.missing;
    this.missing = false;
    return missing;
  }
}

export function commandText(command: Command): string {
  if (command.kind === 'http') return `${command.method} ${command.url}`;
  return ['gcloud', ...command.args].map(shellWord).join(' ');
}

/** Quoted only for people to read or paste: the deploy itself never hands a command to a shell. */
function shellWord(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`;
}

export async function converge(resources: readonly Resource[], cloud: CloudClient, options: ConvergeOptions): Promise<Change[]> {
  const ids = new Set<string>();
  for (const resource of resources) {
    if (ids.has(resource.id)) throw new DeployError(resource.id, 'appears twice in the plan');
    ids.add(resource.id);
  }
  const outputs = new Outputs();
  // Many resources read the same thing (one IAM policy, one list of indexes): read once until something changes.
  const reads = new Map<string, Promise<CommandResult>>();
  const readOnce = (command: Command) => {
    const key = JSON.stringify(command);
    let result = reads.get(key);
    if (!result) {
      result = cloud.run(command, 'read');
      reads.set(key, result);
    }
    return result;
  };
  const readCurrent = async (resource: Resource): Promise<unknown> => {
    if (resource.needs?.some((id) => !outputs.exists(id))) return undefined;
    let read: Read | undefined = resource.read(outputs);
    if (outputs.takeMissing()) return undefined; // it hangs on something that does not exist yet
    let answer: unknown;
    while (read) {
      const result = await readOnce(read.command);
      if (result.code !== 0) {
        if (isNotFound(result)) return undefined;
        throw new DeployError(resource.id, `reading it failed: ${result.stderr.trim()}`);
      }
      answer = parseJson(resource.id, result.stdout);
      if (read.select) answer = read.select(answer);
      if (answer === undefined) return undefined;
      read = read.next?.(answer);
    }
    return answer;
  };

  const changes: Change[] = [];
  for (const [index, resource] of resources.entries()) {
    const current = await readCurrent(resource);
    let change: Change;
    if (current === undefined) {
      if (resource.mustExist) throw new DeployError(resource.id, resource.mustExist);
      const commands = resource.create(outputs);
      // Nothing to create: a resource that only reports (see notes).
      change = { resource, action: commands.length > 0 ? 'create' : 'unchanged', differences: [], commands };
    } else if (resource.remove) {
      const commands = resource.remove(current, outputs);
      change = { resource, action: commands.length > 0 ? 'delete' : 'unchanged', differences: [], commands };
    } else {
      const differences = resource.differences?.(current, outputs) ?? [];
      if (differences.length === 0) {
        change = { resource, action: 'unchanged', differences, commands: [] };
      } else if (!resource.update) {
        throw new DeployError(resource.id, `differs and cannot be changed in place (${differences.join('; ')})`);
      } else {
        change = { resource, action: 'update', differences, commands: resource.update(outputs, current) };
      }
    }
    // Placeholders left in a command mean it needs a resource the dry run did not create.
    outputs.takeMissing();
    if (current !== undefined && resource.notes) change = { ...change, notes: resource.notes(current, outputs) };
    changes.push(change);
    options.onChange?.(change, index, resources.length);

    if (change.action !== 'unchanged' && !options.dryRun) {
      await apply(resource, change.commands, cloud, options.retryDelayMs ?? 5_000);
      reads.clear();
      const created = change.action === 'create';
      if (change.action === 'delete') {
        // Gone: nothing later may read it.
      } else if (resource.outputs) {
        const after = await readCurrent(resource);
        if (after === undefined) throw new DeployError(resource.id, 'still absent after it was applied');
        outputs.set(resource.id, resource.outputs(after), { created });
      } else {
        outputs.set(resource.id, {}, { created });
      }
    } else if (current !== undefined) {
      outputs.set(resource.id, resource.outputs?.(current) ?? {});
    }
  }
  return changes;
}

async function apply(resource: Resource, commands: readonly Command[], cloud: CloudClient, retryDelayMs: number): Promise<void> {
  let previous: unknown;
  for (const command of commands) {
    if (command.kind === 'gcloud' && command.args.some((arg) => PLACEHOLDER.test(arg))) {
      throw new DeployError(resource.id, `a value it needs is unknown: ${commandText(command)}`);
    }
    for (let attempt = 1; ; attempt++) {
      const result = await cloud.run(command, 'apply', previous);
      if (result.code === 0) {
        previous = command.kind === 'http' && result.stdout ? parseJson(resource.id, result.stdout) : undefined;
        break;
      }
      if (attempt < 6 && resource.retryOn?.test(result.stderr)) {
        await new Promise((resolve) => setTimeout(resolve, retryDelayMs * attempt));
        continue;
      }
      throw new DeployError(resource.id, `${commandText(command)} failed: ${result.stderr.trim()}`);
    }
  }
}

function parseJson(resource: string, text: string): unknown {
  try {
    return text.trim() === '' ? {} : JSON.parse(text);
  } catch {
    throw new DeployError(resource, `expected JSON, got: ${text.slice(0, 200)}`);
  }
}
