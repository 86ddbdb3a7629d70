using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;

namespace Overlay.Backends.CloudRoutes;

public sealed partial class CloudRouteNetwork
{
    /// <summary>Every provider call goes through here: counted by operation and outcome, retried with
    /// exponential back-off and jitter when throttled or unavailable (honouring the provider's hint).</summary>
    private sealed class CallContext
    {
        private readonly CloudRouteOptions _options;
        private readonly TimeProvider _time;
        private long _throttles;

        public CallContext(ICloudRouteProvider provider, CloudRouteOptions options, TimeProvider time, ILogger logger)
        {
            Provider = provider;
            _options = options;
            _time = time;
            Logger = logger;
            Random = options.Random ?? Random.Shared;
            Meter = options.MeterFactory?.Create(MeterName) ?? new Meter(MeterName);
            CallCounter = Meter.CreateCounter<long>("overlay.cloud_routes.api_calls", unit: "{call}", description: "Cloud provider API calls, by operation and outcome.");
            ThrottleCounter = Meter.CreateCounter<long>("overlay.cloud_routes.throttles", unit: "{call}", description: "Cloud provider API calls that were throttled.");
        }

        public ICloudRouteProvider Provider { get; }

        public ILogger Logger { get; }

        public Random Random { get; }

        public Meter Meter { get; }

        public Counter<long> CallCounter { get; }

        public Counter<long> ThrottleCounter { get; }

        public ConcurrentDictionary<string, long> Calls { get; } = new(StringComparer.Ordinal);

        public long Throttles => Interlocked.Read(ref _throttles);

        public async ValueTask<T> CallAsync<T>(string operation, Func<CancellationToken, ValueTask<T>> call, CancellationToken cancellationToken)
        {
            for (int attempt = 0; ; attempt++)
            {
                CloudRouteError error;
                Exception cause;
                try
                {
                    T result = await call(cancellationToken).ConfigureAwait(false);
                    Count(operation, "ok");
                    return result;
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    throw;
                }
#pragma warning disable CA1031 // every provider exception is classified by the provider
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    cause = ex;
                    error = Provider.Classify(ex);
                }

                Count(operation, error.Kind.ToString());
                if (error.Kind == CloudRouteErrorKind.Throttled)
                {
                    Interlocked.Increment(ref _throttles);
                    ThrottleCounter.Add(1, new KeyValuePair<string, object?>("backend", Provider.Type), new KeyValuePair<string, object?>("operation", operation));
                }

                if (!error.IsRetriable || attempt >= _options.MaxRetries)
                {
                    throw new CloudRouteException(error, operation, cause);
                }

                TimeSpan delay = Backoff(attempt, error.RetryAfter);
                Log.CallRetried(Logger, Provider.Type, operation, error.Kind, delay, attempt + 1, error.Message);
                await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            }
        }

        /// <summary>min(max, initial × 2^attempt) × (1 − jitter × U[0,1)), and never less than the provider's hint.</summary>
        private TimeSpan Backoff(int attempt, TimeSpan? hint)
        {
            double full = Math.Min(_options.RetryMaxDelay.Ticks, _options.RetryInitialDelay.Ticks * Math.Pow(2, Math.Min(attempt, 30)));
            double random;
            lock (Random)
            {
                random = Random.NextDouble();
            }

            var delay = TimeSpan.FromTicks((long)(full * (1 - (_options.RetryJitter * random))));
            return hint is { } h && h > delay ? h : delay;
        }

        private void Count(string operation, string outcome)
        {
            Calls.AddOrUpdate(operation + "/" + outcome, 1, (_, n) => n + 1);
            CallCounter.Add(1, new KeyValuePair<string, object?>("backend", Provider.Type), new KeyValuePair<string, object?>("operation", operation), new KeyValuePair<string, object?>("outcome", outcome));
        }
    }
}
