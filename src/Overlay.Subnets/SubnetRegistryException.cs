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
