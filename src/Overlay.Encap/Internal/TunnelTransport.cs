using System.Runtime.InteropServices;
using Overlay.Encap.Internal.Interop;

namespace Overlay.Encap.Internal;

/// <summary>
/// What differs between the engine's wire formats: the socket, how one inner packet becomes one outgoing message,
/// and where the inner packet starts in what the socket receives. Everything else (workers, peer table, counters,
/// segmentation and coalescing) is the engine's and shared.
/// </summary>
internal abstract unsafe class TunnelTransport : IDisposable
{
    protected TunnelTransport(SafeFileDescriptor socket)
    {
        Socket = socket;
    }

    /// <summary>The non-blocking socket, created in the calling thread's namespace.</summary>
    public SafeFileDescriptor Socket { get; }

    /// <summary>A short name for logs ("UDP", "IPIP").</summary>
    public abstract string Name { get; }

    /// <summary>The local address (and port) for logs.</summary>
    public abstract string LocalDescription { get; }

    /// <summary>I/O vectors per outgoing message (1: the packet; 2: an outer header and the packet).</summary>
    public abstract int IovsPerMessage { get; }

    /// <summary>Bytes of per-message header storage <see cref="SetMessage"/> may write.</summary>
    public abstract int HeaderSpace { get; }

    /// <summary>Whether the socket can send a run of equal segments in one call (UDP GSO, probed).</summary>
    public virtual bool SegmentationOffload => false;

    /// <summary>Whether the receive path can hand over several coalesced datagrams in one buffer (UDP GRO).</summary>
    public virtual bool ReceiveOffload => false;

    /// <summary>
    /// Whether what is received was integrity-checked end to end by the kernel (a UDP checksum covers the inner
    /// packet). If not, a TCP segment's checksum is verified before it joins a coalesced super-packet, since the
    /// kernel trusts the partial checksum of a super-packet.
    /// </summary>
    public abstract bool PayloadChecked { get; }

    /// <summary>Fills message <paramref name="message"/> to send <paramref name="length"/> bytes at <paramref name="data"/> to <paramref name="peer"/>.</summary>
    public abstract void SetMessage(Libc.MsgHdr* message, Libc.IoVec* iovs, Libc.SockAddrIn* name, byte* header, byte* data, int length, in TunnelPeerTable.PeerEntry peer);

    /// <summary>The offset of the inner packet in a received message; negative: drop it for <paramref name="reason"/>.</summary>
    public abstract int InnerOffset(ReadOnlySpan<byte> received, out TunnelDropReason reason);

    public void Dispose() => Socket.Dispose();

    protected static void SetBuffers(int fd, int bufferSize)
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
    }

    protected static string LastError() => Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError());
}
