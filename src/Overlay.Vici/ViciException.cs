namespace Overlay.Vici;

/// <summary>
/// The VICI connection failed: charon's socket is missing or refused the connection, charon closed it, a response
/// did not arrive in time, or the stream was not VICI. <see cref="IsTransient"/> says whether trying again (which
/// reconnects) can succeed.
/// </summary>
public class ViciException : Exception
{
    /// <summary>Creates an exception.</summary>
    public ViciException()
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    /// <param name="message">What failed.</param>
    public ViciException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and its cause.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="innerException">The cause.</param>
    public ViciException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates an exception.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="isTransient">Whether trying again can succeed.</param>
    /// <param name="innerException">The cause, if any.</param>
    public ViciException(string message, bool isTransient, Exception? innerException = null)
        : base(message, innerException)
    {
        IsTransient = isTransient;
    }

    /// <summary>Whether trying again (on a new connection) can succeed.</summary>
    public bool IsTransient { get; }
}
