using System.Buffers.Binary;
using System.Net;
using System.Runtime.InteropServices;
using Overlay.Encap.Internal.Interop;

namespace Overlay.Encap.Internal;

/// <summary>The tunnel's non-blocking IPv4 UDP socket, created with libc in the calling thread's namespace.</summary>
internal static unsafe class UdpSocket
{
    public static (SafeFileDescriptor Socket, IPEndPoint Bound) Create(IPEndPoint local, int bufferSize)
    {
        int fd = Libc.Socket(Libc.AF_INET, Libc.SOCK_DGRAM | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, Libc.IPPROTO_UDP);
        if (fd < 0)
        {
            throw EncapException.FromErrno("socket(AF_INET, SOCK_DGRAM)", Marshal.GetLastPInvokeError());
        }

        var handle = new SafeFileDescriptor(fd);
        try
        {
            // Larger buffers absorb bursts of a whole TSO super-packet; FORCE works as root, the plain option otherwise.
            if (Libc.SetInt(fd, Libc.SOL_SOCKET, Libc.SO_SNDBUFFORCE, bufferSize) != 0)
            {
                _ = Libc.SetInt(fd, Libc.SOL_SOCKET, Libc.SO_SNDBUF, bufferSize);
            }

            if (Libc.SetInt(fd, Libc.SOL_SOCKET, Libc.SO_RCVBUFFORCE, bufferSize) != 0)
            {
                _ = Libc.SetInt(fd, Libc.SOL_SOCKET, Libc.SO_RCVBUF, bufferSize);
            }

            var address = new Libc.SockAddrIn
            {
                Family = Libc.AF_INET,
                Port = BinaryPrimitives.ReverseEndianness((ushort)local.Port),
                Address = BinaryPrimitives.ReverseEndianness(IPv4Header.ToUInt32(local.Address)),
            };
            if (Libc.Bind(fd, &address, (uint)sizeof(Libc.SockAddrIn)) != 0)
            {
                throw EncapException.FromErrno($"bind {local}", Marshal.GetLastPInvokeError());
            }

            uint length = (uint)sizeof(Libc.SockAddrIn);
            if (Libc.GetSockName(fd, &address, &length) != 0)
            {
                throw EncapException.FromErrno("getsockname", Marshal.GetLastPInvokeError());
            }

            var bound = new IPEndPoint(IPv4Header.ToIPAddress(BinaryPrimitives.ReverseEndianness(address.Address)), BinaryPrimitives.ReverseEndianness(address.Port));
            return (handle, bound);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Whether the kernel knows UDP_SEGMENT (setting it to 0 is accepted then and changes nothing).</summary>
    public static bool ProbeSegmentation(int fd, out string? reason)
    {
        if (Libc.SetInt(fd, Libc.SOL_UDP, Libc.UDP_SEGMENT, 0) == 0)
        {
            reason = null;
            return true;
        }

        reason = Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError());
        return false;
    }

    public static bool EnableGro(int fd, out string? reason)
    {
        if (Libc.SetInt(fd, Libc.SOL_UDP, Libc.UDP_GRO, 1) == 0)
        {
            reason = null;
            return true;
        }

        reason = Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError());
        return false;
    }
}
