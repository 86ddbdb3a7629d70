using System.Collections.Concurrent;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Overlay.Subnets.Etcd.Bench;

/// <summary>Counts gRPC calls by method ("KV/Range", "Lease/LeaseGrant", "Watch/Watch" …).</summary>
internal sealed class CallCounter : Interceptor
{
    private readonly ConcurrentDictionary<string, int> _calls = new();

    public IReadOnlyDictionary<string, int> Snapshot() => new Dictionary<string, int>(_calls);

    public void Reset() => _calls.Clear();

    public int Total => _calls.Values.Sum();

    public string Describe() => _calls.IsEmpty ? "none" : string.Join(", ", _calls.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key}×{c.Value}"));

    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(TRequest request, ClientInterceptorContext<TRequest, TResponse> context,
        AsyncUnaryCallContinuation<TRequest, TResponse> continuation)
    {
        Count(context.Method);
        return continuation(request, context);
    }

    public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(ClientInterceptorContext<TRequest, TResponse> context,
        AsyncDuplexStreamingCallContinuation<TRequest, TResponse> continuation)
    {
        Count(context.Method);
        return continuation(context);
    }

    private void Count(IMethod method)
    {
        string service = method.ServiceName[(method.ServiceName.LastIndexOf('.') + 1)..];
        _calls.AddOrUpdate($"{service}/{method.Name}", 1, (_, n) => n + 1);
    }
}
