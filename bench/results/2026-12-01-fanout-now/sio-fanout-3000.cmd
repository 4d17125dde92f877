node client.js --servers http://127.0.0.1:52195,http://127.0.0.1:54535,http://127.0.0.1:60943 --spectators 3000 --repeats 20
