/**
 * The real CloudClient: spawns gcloud with an argument array (never a shell), and calls REST APIs with the
 * access token of the account gcloud is signed in as. Reads are captured; while applying, gcloud's own
 * progress (builds, deploys) goes to stderr as it happens.
 */
import { spawn } from 'node:child_process';
import type { CloudClient, Command, CommandResult } from './converge.ts';

export interface GcloudClientOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Ends a command that takes longer (a function build takes minutes; the default allows 30). */
  readonly timeoutMs?: number;
}

export function runGcloud(args: readonly string[], options: GcloudClientOptions & { echo?: boolean } = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('gcloud', args, {
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 30 * 60_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      if (options.echo) process.stderr.write(chunk);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 124 : 1), stdout, stderr }));
  });
}

/** The access token for REST calls: the account gcloud is signed in as, no other login. */
export const ACCESS_TOKEN_ARGS = ['auth', 'print-access-token', '--quiet'] as const;

export function gcloudClient(options: GcloudClientOptions = {}): CloudClient {
  let token: Promise<string> | undefined;
  const accessToken = () => {
    token ??= runGcloud(ACCESS_TOKEN_ARGS, options).then((result) => {
      if (result.code !== 0) throw new Error(`gcloud auth print-access-token failed: ${result.stderr.trim()}`);
      return result.stdout.trim();
    });
    return token;
  };
  return {
    async run(command: Command, mode, previous): Promise<CommandResult> {
      if (command.kind === 'gcloud') return runGcloud(command.args, { ...options, echo: mode === 'apply' });
      const body = typeof command.body === 'function' ? command.body(previous) : command.body;
      const response = await fetch(command.url, {
        method: command.method,
        headers: { authorization: `Bearer ${await accessToken()}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      // Shaped like gcloud's answers, so the engine treats both alike (a 404 reads as "not found").
      return response.ok ? { code: 0, stdout: text, stderr: '' } : { code: 1, stdout: '', stderr: `${response.status} ${text}` };
    },
  };
}

/**
 * `--dry-run --assume-fresh`: answers as a new project would, reading nothing, so the whole plan can be printed
 * and reviewed without a Google Cloud account. Only the deploy's first reads (who deploys, the project's
 * number, the enabled APIs, and a KMS key given with --kms-key-name, assumed to exist) get answers; everything
 * else is "not found".
 */
export function freshProjectClient(project: string, kmsKeyName?: string): CloudClient {
  const answers: Record<string, unknown> = {
    'config list': { core: { account: 'you@example.com' } },
    [`projects describe ${project}`]: { projectId: project, projectNumber: 'PROJECT_NUMBER' },
    'services list --enabled': [],
    ...(kmsKeyName ? { [`kms keys describe ${kmsKeyName}`]: { name: kmsKeyName, purpose: 'ENCRYPT_DECRYPT' } } : {}),
  };
  return {
    async run(command) {
      const line = command.kind === 'gcloud' ? command.args.filter((a) => !/^--(project=|quiet$|format=json$)/.test(a)).join(' ') : '';
      return line in answers
        ? { code: 0, stdout: JSON.stringify(answers[line]), stderr: '' }
        : { code: 1, stdout: '', stderr: 'NOT_FOUND (assumed: a fresh project)' };
    },
  };
}
