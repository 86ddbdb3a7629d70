using System.Runtime.InteropServices;

namespace Overlay.Encap;

/// <summary>A system call made by Overlay.Encap failed.</summary>
public class EncapException : IOException
{
    /// <summary>Creates an exception.</summary>
    public EncapException()
        : this("An Overlay.Encap operation failed.")
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    /// <param name="message">The message.</param>
    public EncapException(string message)
        : base(message) => Operation = string.Empty;

    /// <summary>Creates an exception with a message and an inner exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public EncapException(string message, Exception innerException)
        : base(message, innerException) => Operation = string.Empty;

    /// <summary>Creates an exception for a failed operation.</summary>
    /// <param name="operation">What was attempted, e.g. "TUNSETIFF ovl0".</param>
    /// <param name="errno">The positive errno.</param>
    public EncapException(string operation, int errno)
        : base($"{operation} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})")
    {
        Operation = operation;
        Errno = errno;
        HResult = errno;
    }

    /// <summary>The operation that failed.</summary>
    public string Operation { get; }

    /// <summary>The positive errno, or 0.</summary>
    public int Errno { get; }

    /// <summary>Whether retrying may succeed (EINTR, EAGAIN, ENOBUFS).</summary>
    public bool IsTransient => Errno is 4 or 11 or 105;

    internal static EncapException FromErrno(string operation, int errno) => new(operation, errno);
}
