package yjs

// Snapshot is Yjs's snapshot: the state vector and the deleted ranges of a
// document at one moment.
type Snapshot struct {
	sv map[uint64]int
	ds *deleteSet
}

// Snapshot captures the document's state vector and delete set.
func (d *Doc) Snapshot() *Snapshot {
	return &Snapshot{sv: d.StateVector(), ds: d.deleteSetFromStore()}
}

// StateVector returns the snapshot's state vector.
func (s *Snapshot) StateVector() map[uint64]int { return s.sv }

// Deleted reports whether id was deleted at the snapshot.
func (s *Snapshot) Deleted(id ID) bool { return s.ds.contains(id) }

// Encode writes the snapshot as Yjs's encodeSnapshot does (v1).
func (s *Snapshot) Encode() []byte {
	var e v1Encoder
	e.writeDeleteSet(s.ds)
	e.Encoder.WriteBytes(EncodeStateVector(s.sv))
	return e.Buf
}

// DecodeSnapshot reads an encoded snapshot.
func DecodeSnapshot(b []byte) (*Snapshot, error) {
	dec := &v1Decoder{}
	dec.d.Init(b)
	ds := &deleteSet{}
	if err := readDeleteSet(dec, ds); err != nil {
		return nil, err
	}
	rest := dec.d.Rest()
	sv, err := DecodeStateVector(rest)
	if err != nil {
		return nil, err
	}
	ds.sortAndMerge()
	return &Snapshot{sv: sv, ds: ds}, nil
}

// Equal reports whether two snapshots describe the same state.
func (s *Snapshot) Equal(o *Snapshot) bool {
	if len(s.sv) != len(o.sv) || len(s.ds.entries) != len(o.ds.entries) {
		return false
	}
	for c, k := range s.sv {
		if v, ok := o.sv[c]; !ok || v != k {
			return false
		}
	}
	for _, e := range s.ds.entries {
		r := o.ds.get(e.client)
		if len(r) != len(e.ranges) {
			return false
		}
		for i := range r {
			if r[i] != e.ranges[i] {
				return false
			}
		}
	}
	return true
}
