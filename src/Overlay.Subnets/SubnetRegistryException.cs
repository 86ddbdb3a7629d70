namespace Overlay.Subnets;

/// <summary>A registry operation failed.</summary>
public class SubnetRegistryException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SubnetRegistryException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public SubnetRegistryException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public SubnetRegistryException(string message, Exception? innerException) : base(message, innerException)
    {
    }

    /// <summary>Creates the exception, saying whether retrying may succeed.</summary>
    public SubnetRegistryException(string message, bool isTransient, Exception? innerException = null) : base(message, innerException)
    {
        IsTransient = isTransient;
    }

    /// <summary>True when the same operation may succeed if retried (a transport fault, a lost
    /// race); false for a permanent condition (bad configuration, no free subnet).</summary>
    public bool IsTransient { get; }
}

/// <summary>No free subnet is left between the configured minimum and maximum.</summary>
public sealed class SubnetsExhaustedException : SubnetRegistryException
{
    /// <summary>Creates the exception.</summary>
    public SubnetsExhaustedException() : base("Out of subnets.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public SubnetsExhaustedException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public SubnetsExhaustedException(string message, Exception? innerException) : base(message, innerException)
    {
    }
}

/// <summary>The lease being renewed no longer exists in the registry (it was deleted or expired,
/// or another node now holds its subnet). The owner should acquire a lease again.</summary>
public sealed class LeaseLostException : SubnetRegistryException
{
    /// <summary>Creates the exception.</summary>
    public LeaseLostException() : base("The lease no longer exists.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public LeaseLostException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public LeaseLostException(string message, Exception? innerException) : base(message, innerException)
    {
    }
}

/// <summary>
/// The registry holds no network configuration (flannel's <c>&lt;prefix&gt;/config</c> key is
/// missing). Transient: an operator or a seeding step may still create it, and an agent keeps
/// asking — saying so in its log and its readiness reason each time.
/// </summary>
public sealed class NetworkConfigNotFoundException : SubnetRegistryException
{
    /// <summary>Creates the exception.</summary>
    public NetworkConfigNotFoundException() : base("The registry holds no network configuration.", isTransient: true)
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public NetworkConfigNotFoundException(string message) : base(message, isTransient: true)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public NetworkConfigNotFoundException(string message, Exception? innerException) : base(message, isTransient: true, innerException)
    {
    }

    /// <summary>Creates the exception naming where the configuration was looked for.</summary>
    /// <param name="location">Where the configuration was expected (an etcd key, a file, a ConfigMap).</param>
    /// <param name="message">What to tell the operator, including how to create it.</param>
    public NetworkConfigNotFoundException(string location, string message) : base(message, isTransient: true)
    {
        Location = location;
    }

    /// <summary>Where the configuration was expected (for example the etcd key), when known.</summary>
    public string? Location { get; }
}
