namespace Overlay.Backends;

/// <summary>
/// A backend could not register the node's network because of the node's environment — not a
/// configuration mistake (<see cref="BackendConfigException"/>) and not the registry
/// (<c>SubnetRegistryException</c>). <see cref="IsTransient"/> says whether trying again may help:
/// an agent retries transient errors with back-off and stops with the reason on a permanent one.
/// </summary>
public class NetworkRegistrationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public NetworkRegistrationException()
        : this("The network could not be registered.")
    {
    }

    /// <summary>Creates a permanent error with a message.</summary>
    /// <param name="message">What is wrong and what to do.</param>
    public NetworkRegistrationException(string message)
        : base(message)
    {
        BackendType = string.Empty;
    }

    /// <summary>Creates a permanent error with a message and its cause.</summary>
    /// <param name="message">What is wrong and what to do.</param>
    /// <param name="innerException">The cause.</param>
    public NetworkRegistrationException(string message, Exception? innerException)
        : base(message, innerException)
    {
        BackendType = string.Empty;
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="backendType">The backend that failed (<c>vxlan</c>, …).</param>
    /// <param name="message">What is wrong and what to do; the backend type is prefixed.</param>
    /// <param name="isTransient">Whether trying again later may succeed.</param>
    /// <param name="innerException">The cause.</param>
    public NetworkRegistrationException(string backendType, string message, bool isTransient, Exception? innerException = null)
        : base(string.IsNullOrEmpty(backendType) ? message : $"{backendType}: {message}", innerException)
    {
        BackendType = backendType ?? string.Empty;
        IsTransient = isTransient;
    }

    /// <summary>The backend that failed, or empty.</summary>
    public string BackendType { get; }

    /// <summary>True when the same registration may succeed later (a device busy, a daemon starting,
    /// a provider API throttling); false when a person must change something first.</summary>
    public bool IsTransient { get; }

    /// <summary>A permanent error.</summary>
    /// <param name="backendType">The backend.</param>
    /// <param name="message">What is wrong and what to do.</param>
    /// <param name="innerException">The cause.</param>
    /// <returns>The exception.</returns>
    public static NetworkRegistrationException Permanent(string backendType, string message, Exception? innerException = null) =>
        new(backendType, message, isTransient: false, innerException);

    /// <summary>A transient error.</summary>
    /// <param name="backendType">The backend.</param>
    /// <param name="message">What is wrong.</param>
    /// <param name="innerException">The cause.</param>
    /// <returns>The exception.</returns>
    public static NetworkRegistrationException Transient(string backendType, string message, Exception? innerException = null) =>
        new(backendType, message, isTransient: true, innerException);
}
