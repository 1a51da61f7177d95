/** The payload of a command mutation on one stream: the aggregate's id, the stream's consistency token, `replayed`. */
import type { CommandOutcome, StreamCommandResult } from '../../core/commandHandler.ts';
import { builder } from '../builder.ts';

type StringKeys<T> = { [Key in keyof T]: T[Key] extends string ? Key : never }[keyof T] & string;

export function commandPayload<Payload extends CommandOutcome<StreamCommandResult>>(
  name: string,
  options: { readonly description: string; readonly idField: StringKeys<Payload> },
) {
  const { idField } = options;
  return builder.objectRef<Payload>(name).implement({
    description: options.description,
    fields: (t) => ({
      [idField]: t.id({ resolve: (payload) => payload[idField] as string }),
      streamId: t.string({ resolve: (payload) => payload.streamId }),
      version: t.int({ resolve: (payload) => payload.version }),
      replayed: t.boolean({ resolve: (payload) => payload.replayed }),
    }),
  });
}
