namespace Overlay.Backends.CloudRoutes;

/// <summary>A provider's explanation of a failed call.</summary>
/// <param name="Kind">The kind of failure.</param>
/// <param name="Message">What went wrong, in the provider's words (error code and message); never a secret.</param>
public sealed record CloudRouteError(CloudRouteErrorKind Kind, string Message)
{
    /// <summary>How long the provider asks to wait before the next call (a <c>Retry-After</c>), if it said.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>The quota's limit when the provider tells it with a <see cref="CloudRouteErrorKind.QuotaExceeded"/> error.</summary>
    public int? Limit { get; init; }

    /// <summary>True for the kinds the engine retries with back-off.</summary>
    public bool IsRetriable => Kind is CloudRouteErrorKind.Throttled or CloudRouteErrorKind.Unavailable;
}
