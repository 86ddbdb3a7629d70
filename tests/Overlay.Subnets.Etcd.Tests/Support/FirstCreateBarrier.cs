using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Overlay.Subnets.Etcd.Tests.Support;

/// <summary>
/// Makes an allocation race deterministic against a real etcd: each participating registry gets an
/// interceptor (<see cref="ForRegistry"/>) that holds its first <c>KV/Txn</c> — the create
/// transaction of its first acquisition attempt, sent after it has read the configuration, listed
/// the leases and chosen a subnet — until every participant has reached that point. So all first
/// choices are made from the same listing, and all create transactions then race in etcd, where
/// only <c>version(key) == 0</c> decides. Later calls pass through untouched.
/// </summary>
public sealed class FirstCreateBarrier(int participants)
{
    private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _arrived;

    /// <summary>How many registries have reached their first create.</summary>
    public int Arrived => Volatile.Read(ref _arrived);

    /// <summary>The interceptor for one registry (one per registry: it holds that registry's first transaction).</summary>
    public Interceptor ForRegistry() => new Gate(this);

    private async Task ArriveAndWaitAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref _arrived) == participants)
        {
            _all.TrySetResult();
        }

        try
        {
            await _all.Task.WaitAsync(EtcdTestBase.HangGuard, cancellationToken);
        }
        catch (TimeoutException)
        {
            throw new InvalidOperationException($"only {Arrived} of {participants} registries reached their first create within {EtcdTestBase.HangGuard}");
        }
    }

    private sealed class Gate(FirstCreateBarrier barrier) : Interceptor
    {
        private int _used;

        public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(
            TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncUnaryCallContinuation<TRequest, TResponse> continuation)
        {
            if (context.Method.FullName != "/etcdserverpb.KV/Txn" || Interlocked.Exchange(ref _used, 1) != 0)
            {
                return continuation(request, context);
            }

            var started = new TaskCompletionSource<AsyncUnaryCall<TResponse>>(TaskCreationOptions.RunContinuationsAsynchronously);
            return new AsyncUnaryCall<TResponse>(
                SendAfterBarrierAsync(),
                started.Task.ContinueWith(t => t.Result.ResponseHeadersAsync, TaskScheduler.Default).Unwrap(),
                () => started.Task.Result.GetStatus(),
                () => started.Task.Result.GetTrailers(),
                () =>
                {
                    if (started.Task.IsCompletedSuccessfully)
                    {
                        started.Task.Result.Dispose();
                    }
                });

            async Task<TResponse> SendAfterBarrierAsync()
            {
                try
                {
                    await barrier.ArriveAndWaitAsync(context.Options.CancellationToken);
                }
                catch (Exception ex)
                {
                    started.TrySetException(ex);
                    throw;
                }

                // The registry's deadline ran while the call was held: give the released call a fresh one.
                var released = new ClientInterceptorContext<TRequest, TResponse>(context.Method, context.Host,
                    context.Options.WithDeadline(DateTime.UtcNow + TimeSpan.FromSeconds(30)));
                AsyncUnaryCall<TResponse> call = continuation(request, released);
                started.TrySetResult(call);
                return await call.ResponseAsync;
            }
        }
    }
}
