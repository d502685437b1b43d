/**
 * `import … from 'gateworker'`: the API a handler or an application uses — defineHandler and the
 * handler types, the cluster API types, GatewayClient, BusinessWorker and the error classes.
 *
 * It is @gateworker/worker re-exported, not a copy: the CLI loads handlers against the same
 * installed @gateworker/worker, so there is exactly one instance of the runtime in a worker process
 * and `err instanceof InvalidClientIdError` holds inside a handler.
 */
export * from '@gateworker/worker';
