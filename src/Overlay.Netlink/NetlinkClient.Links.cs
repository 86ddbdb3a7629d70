using Microsoft.Win32.SafeHandles;
using Overlay.Netlink.Internal;
using Overlay.Netlink.Internal.Interop;

namespace Overlay.Netlink;

public sealed partial class NetlinkClient
{
    /// <summary>Lists all links (RTM_GETLINK dump).</summary>
    /// <param name="cancellationToken">Cancels the dump.</param>
    /// <returns>The links.</returns>
    public IAsyncEnumerable<Link> LinksAsync(CancellationToken cancellationToken = default) =>
        Enumerate(ct => DumpAsync(_route, RtmType.GetLink, LinuxAddressFamily.Unspecified, RtnetlinkCodec.IfInfoLength, m => RtnetlinkCodec.DecodeLink(m), null, "link list", ct), cancellationToken);

    /// <summary>Gets a link by name, or null when there is none (ENODEV).</summary>
    /// <param name="name">The name.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The link or null.</returns>
    public ValueTask<Link?> TryGetLinkAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return TryGetLinkCoreAsync(0, name, cancellationToken);
    }

    /// <summary>Gets a link by index, or null when there is none (ENODEV).</summary>
    /// <param name="index">The interface index.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The link or null.</returns>
    public ValueTask<Link?> TryGetLinkAsync(int index, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(index);
        return TryGetLinkCoreAsync(index, null, cancellationToken);
    }

    /// <summary>Gets a link by name.</summary>
    /// <param name="name">The name.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The link.</returns>
    /// <exception cref="NetlinkException">ENODEV when there is no such link.</exception>
    public async ValueTask<Link> GetLinkAsync(string name, CancellationToken cancellationToken = default) =>
        await TryGetLinkAsync(name, cancellationToken).ConfigureAwait(false)
        ?? throw new NetlinkException($"link get {name}", LinuxErrno.ENODEV);

    /// <summary>Gets a link by index.</summary>
    /// <param name="index">The index.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The link.</returns>
    /// <exception cref="NetlinkException">ENODEV when there is no such link.</exception>
    public async ValueTask<Link> GetLinkAsync(int index, CancellationToken cancellationToken = default) =>
        await TryGetLinkAsync(index, cancellationToken).ConfigureAwait(false)
        ?? throw new NetlinkException($"link get index {index}", LinuxErrno.ENODEV);

    /// <summary>Creates a link (RTM_NEWLINK with NLM_F_CREATE | NLM_F_EXCL) and returns it as the kernel reports it.</summary>
    /// <param name="spec">The link; its kind decides the attributes (see <see cref="VxlanLinkSpec"/> and the other specs).</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The new link.</returns>
    /// <exception cref="NetlinkException">EEXIST when the name is taken; EOPNOTSUPP when the kernel lacks the kind.</exception>
    public async ValueTask<Link> LinkAddAsync(LinkSpec spec, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ValidateName(spec.Name);
        string operation = $"link add {spec.Name} ({spec.Kind})";
        if (spec is TunLinkSpec tun)
        {
            CreateTun(tun);
            await ApplyCommonAsync(spec, cancellationToken).ConfigureAwait(false);
            return await GetLinkAsync(spec.Name, cancellationToken).ConfigureAwait(false);
        }

        SafeFileHandle? peerNamespace = (spec as VethLinkSpec)?.PeerNamespace?.Handle;
        bool addRef = false;
        try
        {
            if (peerNamespace is not null)
            {
                peerNamespace.DangerousAddRef(ref addRef);
                spec = ((VethLinkSpec)spec) with { PeerNamespaceFd = (int)peerNamespace.DangerousGetHandle() };
            }

            await ExecuteAsync(_route, spec, static (ref NetlinkMessageWriter w, LinkSpec s, uint seq) => RtnetlinkCodec.WriteLinkAdd(ref w, s, seq), operation, null, cancellationToken).ConfigureAwait(false);
        }
        catch (NetlinkException ex) when (ex.Errno == LinuxErrno.EOPNOTSUPP && ex is not NetlinkProtocolException)
        {
            throw new NetlinkException(
                $"{operation}: the kernel does not support link kind '{spec.Kind}' (module missing?)", ex.Errno, ex.ExtendedAckMessage, ex.ExtendedAckOffset);
        }
        finally
        {
            if (addRef)
            {
                peerNamespace!.DangerousRelease();
            }
        }

        return await GetLinkAsync(spec.Name, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes a link (RTM_DELLINK).</summary>
    /// <param name="index">The index.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>False when the link did not exist.</returns>
    public async ValueTask<bool> LinkDeleteAsync(int index, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(index);
        try
        {
            await ExecuteAsync(_route, index, static (ref NetlinkMessageWriter w, int i, uint seq) => RtnetlinkCodec.WriteLinkDelete(ref w, i, seq), $"link delete index {index}", null, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (NetlinkException ex) when (IsAbsent(ex))
        {
            return false;
        }
    }

    /// <summary>Applies several changes to a link in one RTM_NEWLINK.</summary>
    /// <param name="index">The index.</param>
    /// <param name="modification">The changes.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task.</returns>
    public ValueTask LinkModifyAsync(int index, LinkModification modification, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(index);
        ArgumentNullException.ThrowIfNull(modification);
        return ExecuteAsync(_route, (index, modification), static (ref NetlinkMessageWriter w, (int Index, LinkModification M) s, uint seq) => RtnetlinkCodec.WriteLinkModify(ref w, s.Index, s.M, seq), $"link set index {index}", null, cancellationToken);
    }

    /// <summary>Sets a link administratively up.</summary>
    /// <param name="index">The index.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task.</returns>
    public ValueTask LinkSetUpAsync(int index, CancellationToken cancellationToken = default) =>
        LinkModifyAsync(index, new LinkModification { Up = true }, cancellationToken);

    /// <summary>Sets a link administratively down.</summary>
    /// <param name="index">The index.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task.</returns>
    public ValueTask LinkSetDownAsync(int index, CancellationToken cancellationToken = default) =>
        LinkModifyAsync(index, new LinkModification { Up = false }, cancellationToken);

    /// <summary>Sets a link's MTU.</summary>
    /// <param name="index">The index.</param>
    /// <param name="mtu">The MTU.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task.</returns>
    public ValueTask LinkSetMtuAsync(int index, int mtu, CancellationToken cancellationToken = default) =>
        LinkModifyAsync(index, new LinkModification { Mtu = mtu }, cancellationToken);

    /// <summary>Sets a link's hardware address.</summary>
    /// <param name="index">The index.</param>
    /// <param name="address">The MAC address.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task.</returns>
    public ValueTask LinkSetMacAddressAsync(int index, MacAddress address, CancellationToken cancellationToken = default) =>
        LinkModifyAsync(index, new LinkModification { MacAddress = address }, cancellationToken);

    /// <summary>Renames a link (it must be down).</summary>
    /// <param name="index">The index.</param>
    /// <param name="name">The new name.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task.</returns>
    public ValueTask LinkSetNameAsync(int index, string name, CancellationToken cancellationToken = default)
    {
        ValidateName(name);
        return LinkModifyAsync(index, new LinkModification { Name = name }, cancellationToken);
    }

    /// <summary>Sets (or with 0 removes) a link's master, e.g. enslaves it to a bridge.</summary>
    /// <param name="index">The index.</param>
    /// <param name="masterIndex">The master's index, or 0.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task.</returns>
    public ValueTask LinkSetMasterAsync(int index, int masterIndex, CancellationToken cancellationToken = default) =>
        LinkModifyAsync(index, new LinkModification { MasterIndex = masterIndex }, cancellationToken);

    /// <summary>Moves a link into another network namespace (IFLA_NET_NS_FD).</summary>
    /// <param name="index">The index.</param>
    /// <param name="target">The namespace.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task.</returns>
    public async ValueTask LinkSetNetworkNamespaceAsync(int index, NetworkNamespace target, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        bool addRef = false;
        try
        {
            target.Handle.DangerousAddRef(ref addRef);
            int fd = (int)target.Handle.DangerousGetHandle();
            await ExecuteAsync(_route, (index, fd), static (ref NetlinkMessageWriter w, (int Index, int Fd) s, uint seq) => RtnetlinkCodec.WriteLinkModify(ref w, s.Index, new LinkModification(), seq, s.Fd), $"link set index {index} netns {target}", null, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (addRef)
            {
                target.Handle.DangerousRelease();
            }
        }
    }

    private static void ValidateName(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (System.Text.Encoding.UTF8.GetByteCount(name) > 15 || name.Contains('/', StringComparison.Ordinal) || name.Any(char.IsWhiteSpace))
        {
            throw new ArgumentException($"'{name}' is not a valid interface name (at most 15 bytes, no '/' or whitespace).", nameof(name));
        }
    }

    private async ValueTask<Link?> TryGetLinkCoreAsync(int index, string? name, CancellationToken cancellationToken)
    {
        Link? link = null;
        try
        {
            await ExecuteAsync(
                _route,
                (index, name),
                static (ref NetlinkMessageWriter w, (int Index, string? Name) s, uint seq) => RtnetlinkCodec.WriteLinkGet(ref w, s.Index, s.Name, seq),
                name is null ? $"link get index {index}" : $"link get {name}",
                m =>
                {
                    if (m.Header.Type == RtmType.NewLink)
                    {
                        link = RtnetlinkCodec.DecodeLink(m);
                    }
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (NetlinkException ex) when (ex.Errno == LinuxErrno.ENODEV)
        {
            return null;
        }

        return link;
    }

    private async ValueTask ApplyCommonAsync(LinkSpec spec, CancellationToken cancellationToken)
    {
        if (spec.Mtu is null && spec.MacAddress is null && spec.MasterIndex is null)
        {
            return;
        }

        Link link = await GetLinkAsync(spec.Name, cancellationToken).ConfigureAwait(false);
        await LinkModifyAsync(link.Index, new LinkModification { Mtu = spec.Mtu, MacAddress = spec.MacAddress, MasterIndex = spec.MasterIndex }, cancellationToken).ConfigureAwait(false);
    }

    private unsafe void CreateTun(TunLinkSpec spec)
    {
        void Create()
        {
            using SafeFileHandle tun = File.OpenHandle("/dev/net/tun", FileMode.Open, FileAccess.ReadWrite);
            byte* ifreq = stackalloc byte[40];
            var request = new Span<byte>(ifreq, 40);
            request.Clear();
            System.Text.Encoding.UTF8.GetBytes(spec.Name, request[..15]);
            short flags = spec.Mode == TunMode.Tap ? IoctlInterop.IffTap : IoctlInterop.IffTun;
            if (!spec.PacketInfo)
            {
                flags |= IoctlInterop.IffNoPi;
            }

            if (spec.MultiQueue)
            {
                flags |= IoctlInterop.IffMultiQueue;
            }

            if (spec.VnetHeader)
            {
                flags |= IoctlInterop.IffVnetHdr;
            }

            *(short*)(ifreq + 16) = flags;
            CheckIoctl(IoctlInterop.Ioctl(tun, IoctlInterop.TunSetIff, ifreq), spec, "TUNSETIFF");
            if (spec.Owner is uint owner)
            {
                CheckIoctl(IoctlInterop.Ioctl(tun, IoctlInterop.TunSetOwner, (nint)owner), spec, "TUNSETOWNER");
            }

            if (spec.Group is uint group)
            {
                CheckIoctl(IoctlInterop.Ioctl(tun, IoctlInterop.TunSetGroup, (nint)group), spec, "TUNSETGROUP");
            }

            CheckIoctl(IoctlInterop.Ioctl(tun, IoctlInterop.TunSetPersist, 1), spec, "TUNSETPERSIST");
        }

        if (_options.NetworkNamespace is { } ns)
        {
            ns.Run(Create);
        }
        else
        {
            Create();
        }
    }

    private static void CheckIoctl(int result, TunLinkSpec spec, string request)
    {
        if (result < 0)
        {
            int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            throw new NetlinkException($"link add {spec.Name} (tun): ioctl {request}", errno == LinuxErrno.EBUSY ? LinuxErrno.EEXIST : errno);
        }
    }
}
