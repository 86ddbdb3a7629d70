namespace Overlay.Netlink;

/// <summary>Flags of <c>nlmsg_flags</c> (<c>NLM_F_*</c>). The kernel reuses bit values per request kind (GET, NEW, ACK), so some members alias.</summary>
#pragma warning disable CA1069 // aliases are the kernel's own
[Flags]
public enum NetlinkMessageFlags : ushort
{
    /// <summary>No flag.</summary>
    None = 0,

    /// <summary>NLM_F_REQUEST: a request.</summary>
    Request = 0x01,

    /// <summary>NLM_F_MULTI: part of a multipart reply ending with NLMSG_DONE.</summary>
    Multi = 0x02,

    /// <summary>NLM_F_ACK: reply with an acknowledgement.</summary>
    Acknowledge = 0x04,

    /// <summary>NLM_F_ECHO: echo this request.</summary>
    Echo = 0x08,

    /// <summary>NLM_F_DUMP_INTR: the dump was inconsistent because the data changed during it.</summary>
    DumpInterrupted = 0x10,

    /// <summary>NLM_F_DUMP_FILTERED: the dump was filtered as requested.</summary>
    DumpFiltered = 0x20,

    /// <summary>NLM_F_ROOT (GET requests): return the whole table.</summary>
    Root = 0x100,

    /// <summary>NLM_F_MATCH (GET requests): return all matching entries.</summary>
    Match = 0x200,

    /// <summary>NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH.</summary>
    Dump = Root | Match,

    /// <summary>NLM_F_REPLACE (NEW requests): replace an existing object.</summary>
    Replace = 0x100,

    /// <summary>NLM_F_EXCL (NEW requests): fail if the object exists.</summary>
    Exclusive = 0x200,

    /// <summary>NLM_F_CREATE (NEW requests): create if it does not exist.</summary>
    Create = 0x400,

    /// <summary>NLM_F_APPEND (NEW requests): add to the end of the list.</summary>
    Append = 0x800,

    /// <summary>NLM_F_CAPPED (acknowledgements): the echoed request was cut to its header.</summary>
    Capped = 0x100,

    /// <summary>NLM_F_ACK_TLVS (acknowledgements): extended-ack attributes follow.</summary>
    AcknowledgeTlvs = 0x200,
}
#pragma warning restore CA1069
