using System.Net.Sockets;
using System.Runtime.InteropServices;
using Overlay.Netlink.Internal.Interop;

namespace Overlay.Netlink.Internal;

/// <summary>
/// An AF_NETLINK socket opened with libc <c>socket()</c> and adopted by <see cref="Socket"/> for async
/// I/O with cancellation (<c>new Socket(AddressFamily 16, …)</c> is not supported by .NET on Linux).
/// The socket belongs to the network namespace of the thread that opens it.
/// </summary>
internal sealed class SocketNetlinkTransport : INetlinkTransport
{
    private const int SolSocket = 1;
    private const int SoSndBuf = 7;
    private const int SoRcvBuf = 8;
    private const int SoSndBufForce = 32;
    private const int SoRcvBufForce = 33;
    private const int SolNetlink = 270;
    private const int NetlinkAddMembership = 1;
    private const int NetlinkCapAck = 10;
    private const int NetlinkExtAck = 11;

    private readonly Socket _socket;

    private SocketNetlinkTransport(Socket socket, uint portId)
    {
        _socket = socket;
        PortId = portId;
    }

    public uint PortId { get; }

    public int ReceiveBufferSize => _socket.ReceiveBufferSize;

    public int SendBufferSize => _socket.SendBufferSize;

    /// <summary>Opens, configures and binds a netlink socket on the calling thread.</summary>
    public static unsafe SocketNetlinkTransport Open(int protocol, ReadOnlySpan<int> groups, int receiveBufferSize, int sendBufferSize, bool extendedAck)
    {
        int fd = SocketInterop.Socket(LinuxAddressFamily.Netlink, SocketInterop.SockRaw | SocketInterop.SockCloexec, protocol);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new NetlinkException($"socket(AF_NETLINK, protocol {protocol})", errno);
        }

        Socket socket;
        try
        {
            socket = new Socket(new SafeSocketHandle(fd, ownsHandle: true));
        }
        catch
        {
            SocketInterop.Close(fd);
            throw;
        }

        try
        {
            SetInt(socket, SolNetlink, NetlinkCapAck, 1, optional: true);
            if (extendedAck)
            {
                SetInt(socket, SolNetlink, NetlinkExtAck, 1, optional: true);
            }

            if (receiveBufferSize > 0 && !SetInt(socket, SolSocket, SoRcvBufForce, receiveBufferSize, optional: true))
            {
                SetInt(socket, SolSocket, SoRcvBuf, receiveBufferSize, optional: true);
            }

            if (sendBufferSize > 0 && !SetInt(socket, SolSocket, SoSndBufForce, sendBufferSize, optional: true))
            {
                SetInt(socket, SolSocket, SoSndBuf, sendBufferSize, optional: true);
            }

            byte* address = stackalloc byte[12];
            new Span<byte>(address, 12).Clear();
            *(ushort*)address = LinuxAddressFamily.Netlink;
            if (SocketInterop.Bind(socket.SafeHandle, address, 12) != 0)
            {
                throw new NetlinkException("bind(AF_NETLINK)", Marshal.GetLastPInvokeError());
            }

            uint length = 12;
            if (SocketInterop.GetSockName(socket.SafeHandle, address, &length) != 0)
            {
                throw new NetlinkException("getsockname(AF_NETLINK)", Marshal.GetLastPInvokeError());
            }

            uint portId = *(uint*)(address + 4);
            foreach (int group in groups)
            {
                SetInt(socket, SolNetlink, NetlinkAddMembership, group, optional: false);
            }

            return new SocketNetlinkTransport(socket, portId);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, CancellationToken cancellationToken)
    {
        ValueTask<int> send = _socket.SendAsync(datagram, SocketFlags.None, cancellationToken);
        if (send.IsCompletedSuccessfully)
        {
            int sent = send.Result;
            return sent == datagram.Length ? default : ValueTask.FromException(new NetlinkException($"Short netlink send: {sent} of {datagram.Length} bytes."));
        }

        return AwaitSend(send, datagram.Length);

        static async ValueTask AwaitSend(ValueTask<int> send, int length)
        {
            int sent = await send.ConfigureAwait(false);
            if (sent != length)
            {
                throw new NetlinkException($"Short netlink send: {sent} of {length} bytes.");
            }
        }
    }

    public ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
        _socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);

    public void Dispose() => _socket.Dispose();

    private static bool SetInt(Socket socket, int level, int name, int value, bool optional)
    {
        try
        {
            socket.SetRawSocketOption(level, name, MemoryMarshal.AsBytes(new ReadOnlySpan<int>(in value)));
            return true;
        }
        catch (SocketException) when (optional)
        {
            return false;
        }
    }
}
