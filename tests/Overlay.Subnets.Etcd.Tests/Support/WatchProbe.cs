using Etcdserverpb;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Overlay.Subnets.Etcd.Tests.Support;

/// <summary>
/// A gRPC interceptor (<see cref="EtcdSubnetRegistryOptions.Interceptors"/>) that observes the
/// registry's watch streams: <see cref="Confirmed"/> completes when etcd confirms a watch
/// (<c>WatchResponse.created</c>). From then on etcd delivers every change after the watch's start
/// revision to that stream, so a test can change etcd knowing the change is seen by the watch —
/// instead of sleeping and hoping the watch has started.
/// </summary>
public sealed class WatchProbe : Interceptor
{
    private readonly TaskCompletionSource _confirmed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _confirmations;

    /// <summary>Completes at etcd's first watch confirmation.</summary>
    public Task Confirmed => _confirmed.Task;

    /// <summary>How many watches etcd has confirmed (a resumed watch is a new one).</summary>
    public int Confirmations => Volatile.Read(ref _confirmations);

    public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(
        ClientInterceptorContext<TRequest, TResponse> context, AsyncDuplexStreamingCallContinuation<TRequest, TResponse> continuation)
    {
        AsyncDuplexStreamingCall<TRequest, TResponse> call = continuation(context);
        if (context.Method.FullName != "/etcdserverpb.Watch/Watch")
        {
            return call;
        }

        return new AsyncDuplexStreamingCall<TRequest, TResponse>(
            call.RequestStream, new ObservingReader<TResponse>(call.ResponseStream, this),
            call.ResponseHeadersAsync, call.GetStatus, call.GetTrailers, call.Dispose);
    }

    private void Observe(object? response)
    {
        if (response is WatchResponse { Created: true })
        {
            Interlocked.Increment(ref _confirmations);
            _confirmed.TrySetResult();
        }
    }

    private sealed class ObservingReader<T>(IAsyncStreamReader<T> inner, WatchProbe probe) : IAsyncStreamReader<T>
    {
        public T Current => inner.Current;

        public async Task<bool> MoveNext(CancellationToken cancellationToken)
        {
            bool more = await inner.MoveNext(cancellationToken);
            if (more)
            {
                probe.Observe(inner.Current);
            }

            return more;
        }
    }
}
