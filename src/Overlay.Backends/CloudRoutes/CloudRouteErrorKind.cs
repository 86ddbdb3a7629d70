namespace Overlay.Backends.CloudRoutes;

/// <summary>What kind of failure a provider call had (<see cref="ICloudRouteProvider.Classify"/>).</summary>
public enum CloudRouteErrorKind
{
    /// <summary>Anything else (a bad request, an unexpected answer): not retried until the next period.</summary>
    Other,

    /// <summary>The provider's rate limit (AWS <c>RequestLimitExceeded</c>): retried with back-off.</summary>
    Throttled,

    /// <summary>The provider or the way to it is unavailable (timeouts, 5xx): retried with back-off.</summary>
    Unavailable,

    /// <summary>A quota is exhausted (AWS <c>RouteLimitExceeded</c>): the table is full.</summary>
    QuotaExceeded,

    /// <summary>The object is gone (AWS <c>InvalidRoute.NotFound</c>): a delete that finds nothing succeeded.</summary>
    NotFound,

    /// <summary>The credentials are missing, wrong or lack a permission.</summary>
    Unauthorized,
}
