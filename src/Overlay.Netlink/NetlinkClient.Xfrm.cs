using Overlay.Netlink.Internal;

namespace Overlay.Netlink;

public sealed partial class NetlinkClient
{
    private const int XfrmRequestSize = 1024;

    /// <summary>Adds an xfrm policy (XFRM_MSG_NEWPOLICY; EEXIST when one with the same selector and direction exists).</summary>
    /// <param name="policy">The policy.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task.</returns>
    public ValueTask XfrmPolicyAddAsync(XfrmPolicy policy, CancellationToken cancellationToken = default) =>
        XfrmPolicyCoreAsync(XfrmMessageType.NewPolicy, policy, "xfrm policy add", cancellationToken);

    /// <summary>Adds or updates an xfrm policy (XFRM_MSG_UPDPOLICY).</summary>
    /// <param name="policy">The policy.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task.</returns>
    public ValueTask XfrmPolicyUpdateAsync(XfrmPolicy policy, CancellationToken cancellationToken = default) =>
        XfrmPolicyCoreAsync(XfrmMessageType.UpdatePolicy, policy, "xfrm policy update", cancellationToken);

    /// <summary>Gets the policy with this selector and direction, or null (ENOENT).</summary>
    /// <param name="selector">The selector.</param>
    /// <param name="direction">The direction.</param>
    /// <param name="mark">The mark, if the policy has one.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The policy or null.</returns>
    public async ValueTask<XfrmPolicy?> XfrmPolicyGetAsync(XfrmSelector selector, XfrmPolicyDirection direction, XfrmMark? mark = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(selector);
        XfrmPolicy? result = null;
        try
        {
            await ExecuteAsync(
                Xfrm,
                (selector, direction, mark),
                static (ref NetlinkMessageWriter w, (XfrmSelector S, XfrmPolicyDirection D, XfrmMark? M) s, uint seq) => XfrmCodec.WritePolicyId(ref w, XfrmMessageType.GetPolicy, s.S, s.D, s.M, seq),
                $"xfrm policy get {selector.Source} -> {selector.Destination} {direction}",
                m =>
                {
                    if (m.Header.Type == XfrmMessageType.NewPolicy)
                    {
                        result = XfrmCodec.DecodePolicy(m);
                    }
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (NetlinkException ex) when (IsAbsent(ex))
        {
            return null;
        }

        return result;
    }

    /// <summary>Deletes the policy with this selector and direction.</summary>
    /// <param name="selector">The selector.</param>
    /// <param name="direction">The direction.</param>
    /// <param name="mark">The mark, if the policy has one.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>False when there was none.</returns>
    public async ValueTask<bool> XfrmPolicyDeleteAsync(XfrmSelector selector, XfrmPolicyDirection direction, XfrmMark? mark = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(selector);
        try
        {
            await ExecuteAsync(
                Xfrm,
                (selector, direction, mark),
                static (ref NetlinkMessageWriter w, (XfrmSelector S, XfrmPolicyDirection D, XfrmMark? M) s, uint seq) => XfrmCodec.WritePolicyId(ref w, XfrmMessageType.DeletePolicy, s.S, s.D, s.M, seq),
                $"xfrm policy delete {selector.Source} -> {selector.Destination} {direction}",
                null,
                cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (NetlinkException ex) when (IsAbsent(ex))
        {
            return false;
        }
    }

    /// <summary>Lists xfrm policies.</summary>
    /// <param name="cancellationToken">Cancels the dump.</param>
    /// <returns>The policies.</returns>
    public IAsyncEnumerable<XfrmPolicy> XfrmPoliciesAsync(CancellationToken cancellationToken = default) =>
        Enumerate(ct => DumpAsync(Xfrm, XfrmMessageType.GetPolicy, 0, 0, m => XfrmCodec.DecodePolicy(m), null, "xfrm policy list", ct), cancellationToken);

    /// <summary>Deletes all xfrm policies (XFRM_MSG_FLUSHPOLICY) of the client's namespace.</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task.</returns>
    public ValueTask XfrmPolicyFlushAsync(CancellationToken cancellationToken = default) =>
        ExecuteAsync(Xfrm, 0, static (ref NetlinkMessageWriter w, int _, uint seq) => XfrmCodec.WriteFlush(ref w, XfrmMessageType.FlushPolicies, 0, seq), "xfrm policy flush", null, cancellationToken);

    /// <summary>Adds an xfrm state (XFRM_MSG_NEWSA). Kernels without the protocol (e.g. no ESP) or algorithm refuse it with the reason.</summary>
    /// <param name="state">The state.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task.</returns>
    public ValueTask XfrmStateAddAsync(XfrmState state, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(state);
        return ExecuteAsync(
            Xfrm,
            state,
            static (ref NetlinkMessageWriter w, XfrmState s, uint seq) => XfrmCodec.WriteState(ref w, XfrmMessageType.NewState, s, seq),
            $"xfrm state add {state.Source} -> {state.Destination} spi 0x{state.Spi:x8}",
            null,
            cancellationToken);
    }

    /// <summary>Gets a state by its id, or null (ESRCH/ENOENT).</summary>
    /// <param name="id">The id.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The state or null.</returns>
    public async ValueTask<XfrmState?> XfrmStateGetAsync(XfrmStateId id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        XfrmState? result = null;
        try
        {
            await ExecuteAsync(
                Xfrm,
                id,
                static (ref NetlinkMessageWriter w, XfrmStateId s, uint seq) => XfrmCodec.WriteStateId(ref w, XfrmMessageType.GetState, s, seq),
                $"xfrm state get {id.Destination} spi 0x{id.Spi:x8}",
                m =>
                {
                    if (m.Header.Type == XfrmMessageType.NewState)
                    {
                        result = XfrmCodec.DecodeState(m);
                    }
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (NetlinkException ex) when (IsAbsent(ex))
        {
            return null;
        }

        return result;
    }

    /// <summary>Deletes a state.</summary>
    /// <param name="id">The id.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>False when there was none.</returns>
    public async ValueTask<bool> XfrmStateDeleteAsync(XfrmStateId id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        try
        {
            await ExecuteAsync(
                Xfrm,
                id,
                static (ref NetlinkMessageWriter w, XfrmStateId s, uint seq) => XfrmCodec.WriteStateId(ref w, XfrmMessageType.DeleteState, s, seq),
                $"xfrm state delete {id.Destination} spi 0x{id.Spi:x8}",
                null,
                cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (NetlinkException ex) when (IsAbsent(ex))
        {
            return false;
        }
    }

    /// <summary>Lists xfrm states.</summary>
    /// <param name="cancellationToken">Cancels the dump.</param>
    /// <returns>The states.</returns>
    public IAsyncEnumerable<XfrmState> XfrmStatesAsync(CancellationToken cancellationToken = default) =>
        Enumerate(ct => DumpAsync(Xfrm, XfrmMessageType.GetState, 0, 0, m => XfrmCodec.DecodeState(m), null, "xfrm state list", ct), cancellationToken);

    /// <summary>Deletes all states of a protocol (XFRM_MSG_FLUSHSA; 0 = all protocols).</summary>
    /// <param name="protocol">The protocol or 0.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task.</returns>
    public ValueTask XfrmStateFlushAsync(byte protocol = 0, CancellationToken cancellationToken = default) =>
        ExecuteAsync(Xfrm, protocol, static (ref NetlinkMessageWriter w, byte p, uint seq) => XfrmCodec.WriteFlush(ref w, XfrmMessageType.FlushStates, p, seq), "xfrm state flush", null, cancellationToken);

    private ValueTask XfrmPolicyCoreAsync(ushort type, XfrmPolicy policy, string verb, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return ExecuteAsync(
            Xfrm,
            (type, policy),
            static (ref NetlinkMessageWriter w, (ushort T, XfrmPolicy P) s, uint seq) => XfrmCodec.WritePolicy(ref w, s.T, s.P, seq),
            $"{verb} {policy.Selector.Source} -> {policy.Selector.Destination} {policy.Direction}",
            null,
            cancellationToken);
    }
}
