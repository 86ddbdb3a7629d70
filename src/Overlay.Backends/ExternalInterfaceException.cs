namespace Overlay.Backends;

/// <summary>No interface fits the options; the message lists what was considered.</summary>
public sealed class ExternalInterfaceException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ExternalInterfaceException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public ExternalInterfaceException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public ExternalInterfaceException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
