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
