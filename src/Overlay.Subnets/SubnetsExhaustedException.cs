namespace Overlay.Subnets;

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
