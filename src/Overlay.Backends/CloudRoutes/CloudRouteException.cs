namespace Overlay.Backends.CloudRoutes;

/// <summary>A cloud route call failed (after the engine's retries, for retriable kinds).</summary>
public sealed class CloudRouteException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CloudRouteException()
        : this(new CloudRouteError(CloudRouteErrorKind.Other, "A cloud route call failed."), "unknown")
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">The message.</param>
    public CloudRouteException(string message)
        : this(new CloudRouteError(CloudRouteErrorKind.Other, message), "unknown")
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public CloudRouteException(string message, Exception? innerException)
        : this(new CloudRouteError(CloudRouteErrorKind.Other, message), "unknown", innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="error">The provider's classification.</param>
    /// <param name="operation">The engine operation that failed (<c>create</c>, <c>list</c>, …).</param>
    /// <param name="innerException">The provider's exception.</param>
    public CloudRouteException(CloudRouteError error, string operation, Exception? innerException = null)
        : base($"{operation}: {error?.Message}", innerException)
    {
        ArgumentNullException.ThrowIfNull(error);
        Error = error;
        Operation = operation;
    }

    /// <summary>The provider's classification.</summary>
    public CloudRouteError Error { get; }

    /// <summary>The engine operation that failed.</summary>
    public string Operation { get; }
}
