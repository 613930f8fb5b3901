import { Compile } from 'typebox/compile';
import { COMMAND_NAMES, CommandSchemas, type CommandArgs, type CommandName, type CommandResult } from '../../protocol/index.js';
import { assertMayUse, type CurrentId, type Principal } from '../auth/principal.js';
import { Errors } from '../errors.js';
import type { RateLimiter } from './rate-limiter.js';
import type { IngestedFile } from '../media/media-service.js';

/** A file a transport streamed into the media store before the command ran (REST multipart). */
export interface Attachment {
  file: IngestedFile;
}

/** An attachment as it travels to another node: the file by its hash, to be found in the media folder the nodes share. */
export type UploadRef = Pick<IngestedFile, 'sha256' | 'bytes' | 'mimetype' | 'fileName'>;

export type CommandHandler<C extends CommandName> = (
  args: CommandArgs<C>,
  principal: Principal,
  attachment?: Attachment
) => Promise<CommandResult<C>> | CommandResult<C>;
export type CommandHandlers = { [C in CommandName]: CommandHandler<C> };

const validators = new Map(COMMAND_NAMES.map(name => [name, Compile(CommandSchemas[name].args)]));

interface CheckError {
  keyword: string;
  schemaPath: string;
  instancePath: string;
  params: object;
  message: string;
}

/** One line for a refusal: each field by its dotted path, unknown fields by name. */
const describe = (errors: Iterable<CheckError>): string =>
  [...errors]
    // Each unknown field also fails as "schema is false"; the parent's error names them all.
    .filter(e => !(e.keyword === 'boolean' && e.schemaPath.endsWith('/additionalProperties')))
    .slice(0, 5)
    .map(e => {
      const where = e.instancePath ? e.instancePath.slice(1).replaceAll('/', '.') : 'body';
      const unknown = 'additionalProperties' in e.params ? e.params.additionalProperties : undefined;
      return Array.isArray(unknown) ? `${where} must not have additional properties: ${unknown.join(', ')}` : `${where} ${e.message}`;
    })
    .join('; ');

/** In a cluster: commands for an instance another node runs are answered by that node. */
export interface RemoteCommands {
  /** Whether another node may run the instance (this node does not); checked synchronously first. */
  elsewhere(instance: string): boolean;
  /** Runs the command on the instance's owner; `forwarded: false` when no other node holds it right now. */
  forward(
    name: CommandName,
    args: unknown,
    principal: Principal,
    instance: string,
    upload?: UploadRef
  ): Promise<{ forwarded: false } | { forwarded: true; result: unknown }>;
}

/**
 * The one way into the hub's behaviour. REST, Socket.IO and WebSocket adapters
 * all call `run`: it checks the command exists, validates its arguments against
 * the protocol schema, checks the caller may touch the instance, then calls the
 * handler. Transports only map the result or the error to their wire.
 */
export class CommandLayer {
  constructor(
    private readonly handlers: CommandHandlers,
    private readonly currentId: CurrentId,
    private readonly limiter?: RateLimiter
  ) {}

  private remote?: RemoteCommands;

  /** In a cluster: commands naming an instance another node holds go to that node. */
  forwardWith(remote: RemoteCommands): void {
    this.remote = remote;
  }

  has(name: string): name is CommandName {
    return validators.has(name as CommandName);
  }

  run(name: string, args: unknown, principal: Principal, attachment?: Attachment): Promise<unknown> {
    return this.execute(name, args, principal, attachment, true);
  }

  /** Like `run`, never forwarded: a command another node forwarded here is answered here or refused. */
  runHere(name: string, args: unknown, principal: Principal, attachment?: Attachment): Promise<unknown> {
    return this.execute(name, args, principal, attachment, false);
  }

  private async execute(name: string, args: unknown, principal: Principal, attachment: Attachment | undefined, mayForward: boolean): Promise<unknown> {
    if (!this.has(name)) throw new Errors.badRequest(`unknown command ${JSON.stringify(name).slice(0, 80)}`);
    const validator = validators.get(name)!;
    const input = args ?? {};
    if (!validator.Check(input)) throw new Errors.badRequest(describe(validator.Errors(input)));
    const instance = (input as { instance?: string }).instance;
    assertMayUse(this.currentId, principal, instance);
    if (mayForward && instance !== undefined && this.remote?.elsewhere(instance)) {
      // A file streamed into this node's media folder goes by its hash: the owner reads it from the folder the nodes share.
      const upload = attachment && { sha256: attachment.file.sha256, bytes: attachment.file.bytes, mimetype: attachment.file.mimetype, fileName: attachment.file.fileName };
      // The owner validates, authorizes and rate-limits again, as for its own callers.
      const routed = await this.remote.forward(name, input, principal, instance, upload);
      if (routed.forwarded) return routed.result;
    }
    if (instance !== undefined && this.limiter && !this.limiter.take(instance)) throw new Errors.tooManyRequests();
    return (this.handlers[name] as CommandHandler<CommandName>)(input as never, principal, attachment);
  }
}
